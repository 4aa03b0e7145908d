"""Test doubles of third parties (payment provider, SMS provider, PMS) that speak HTTP like the
real ones, for tests and for `make run` on one machine. No Convive service imports them."""
