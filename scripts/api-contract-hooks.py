"""Schemathesis hooks of scripts/api-contract.sh."""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    """Gives each request a fresh Idempotency-Key, as a client does.

    Generated keys repeat ("0", "!"), and a key reused with another request is refused by
    design (422 `idempotency-key-reused`), so a valid key is replaced by a new UUID; an invalid
    one is kept, to test its refusal.
    """
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and VALID_KEY.match(str(value)):
            headers[name] = str(uuid.uuid4())
