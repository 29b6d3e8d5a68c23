"""The console: a terminal chat for trying partnerbot and scripting conversations."""
