"""What the guest app, the POS console and the back office share: the signed cookies, the
language of a request and its words, rendering pages, reading forms (one form error, one money
parser), the one refusal of the gateway's own and its handler, and the staff sign-in with the
guards of staff routes."""
