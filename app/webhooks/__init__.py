"""Webhooks: tell other systems (a CRM, a ticketing tool) what happened in the registry.

The signed chain is the outbox: every event a webhook announces is a committed registry entry,
and entries commit in position order (the chain's head row is locked until the commit). A
dispatcher (`flask webhooks deliver`, and `flask deadlines watch` every few seconds) reads each
endpoint's entries after its cursor, turns those of the endpoint's event types into delivery
rows, then sends due deliveries with no transaction open, signed with the endpoint's secret
(HMAC-SHA256), retried with a doubling wait. A receiver that is down or slow never blocks the
registry: nothing in a request waits for it.
"""
