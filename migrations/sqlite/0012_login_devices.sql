-- Login throttling per account: failures for one name are counted across all
-- clients, apart from browsers that hold a device cookie for that name (a signed
-- proof of an earlier login), whose failures are counted per cookie.
alter table login_failures add column device text; -- the device cookie's nonce, or null
create index login_failures_account on login_failures (username, device, failed_at);
