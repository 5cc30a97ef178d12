"""Replies: the composer that writes a reply plan out as a safe MIME auto-reply (`render`),
and the senders that deliver it (`senders`, `smtp`).

Whether a mail gets a reply, to whom and with what is decided in `bot.reply_policy`;
`headers` makes the mail's untrusted text safe for the reply's headers. Nothing here
stores state: the outbox that makes sure each mail is answered once lives with the store.
The package imports nothing eagerly, so `bot.reply_policy` can use `headers`.
"""
