"""The caseworkers' and admins' web pages (`mikrobot serve`), on the same ticket store."""

from bot.web.app import create_app

__all__ = ["create_app"]
