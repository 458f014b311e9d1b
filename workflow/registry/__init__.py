"""The committee's agency registry kept from the browser: agencies, groups, contact
lists imported from a spreadsheet. The engine reads agencies from these rows at every
send, so a changed e-mail takes effect for the next message and links stay valid."""
