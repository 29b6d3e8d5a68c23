"""partnerbot: keeps a student's partners in touch over the messaging apps they already use."""
