-- Login throttling per account, apart from browsers holding a device cookie.
alter table login_failures add column device text collate "C";
create index login_failures_account on login_failures (username, device, failed_at);
