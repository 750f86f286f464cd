-- Issue 17 item 6: a push is written in the language of the device it goes to. The app reports
-- its locale (BCP 47, kept as given in locale); lang is the catalogue language the server
-- matched it to when the device registered (package i18n, golang.org/x/text's matcher), so the
-- outbox picks each device's text in SQL without matching tags there. NULL (no locale reported):
-- the member's profile locale.
ALTER TABLE push_devices ADD COLUMN lang text CHECK (lang IN ('en', 'fr'));

-- Devices registered before: the same rule for the two languages served (fr, fr-CA, fr_BE...
-- are French; any other tag English).
UPDATE push_devices SET lang = CASE WHEN locale ~* '^fr([-_]|$)' THEN 'fr' ELSE 'en' END
WHERE locale IS NOT NULL;
