-- Sign-in attempts were written here and never read: the throttle keeps its own counts, and the
-- audit log records every attempt (user.sign_in, user.sign_in_fail) with its address, under
-- retention. This table only grew.
DROP TABLE `login_attempts`;
