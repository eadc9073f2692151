-- The spam model's version: every write to the model's counts adds one, in the same
-- transaction, so an instance that keeps counts in memory knows from one small read
-- whether they are still the model's (see `store::spam::Cache`).

alter table spam_model add column version bigint not null default 0;
