ALTER TABLE `contact_messages` ADD `spam_reason` text;
