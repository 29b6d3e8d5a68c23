"""E-mail for families: SMTP through the school's relay, multipart mails from the structured message."""
