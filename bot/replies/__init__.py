"""Replies: rendering `templates/` into safe MIME auto-replies, and the senders that deliver them.

`render` composes a reply from a verdict (or says why there is none); `headers` makes
the mail's untrusted text safe for the reply's headers; `senders` delivers a finished
message over SMTP or as an `.eml` file. Nothing here decides whether a mail deserves a
reply beyond the verdict and the loop guard's flag, and nothing here stores state: the
outbox that makes sure each mail is answered once lives with the service.
"""

from bot.replies.render import NoReply, ReplyRenderError, plan_reply, render_preview, render_reply
from bot.replies.senders import (
    DeliveryError,
    FileSender,
    PermanentDeliveryError,
    Sender,
    SmtpSender,
    TemporaryDeliveryError,
    sender_from_url,
)

__all__ = [
    "DeliveryError",
    "FileSender",
    "NoReply",
    "PermanentDeliveryError",
    "ReplyRenderError",
    "Sender",
    "SmtpSender",
    "TemporaryDeliveryError",
    "plan_reply",
    "render_preview",
    "render_reply",
    "sender_from_url",
]
