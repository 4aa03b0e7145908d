"""The notifier's third parties: the SMTP server its e-mails go through (`smtp`), and the words
of those e-mails, written from templates and translation catalogues (`mail_texts`)."""
