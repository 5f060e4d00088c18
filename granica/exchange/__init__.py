"""Signed messages between Granica nodes (platform).

Each node is one country's SIRENE bureau, a national system, or the EURODAC-style
central system. A domain hands a message to `service.send()` inside its own
transaction; the message waits in the outbox until the recipient acknowledges it,
retried with back-off while the recipient is down. The recipient checks the sender
(a configured peer), the signature (Ed25519) and the age, accepts each message once
(its id), and hands the messages of one conversation to the domain's handler in the
order they were sent.

- `envelope`: the message, its canonical bytes and its signature.
- `keys`, `peers`: this node's signing key and the other nodes (a TOML file).
- `service`: send, receive, hand to the handlers, deliver, state.
- `worker`: the delivery thread `granica serve` runs.
"""
