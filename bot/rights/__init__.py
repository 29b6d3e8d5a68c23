"""Each person's data rights: export (GDPR Art. 15 and 20) and erasure (Art. 17); storage/rights.py
declares, table by table, what is theirs."""
