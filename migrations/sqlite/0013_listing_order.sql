-- PostgreSQL's 0013 adds an index for listings of visible posts in their order.
-- SQLite needs none: its planner walks posts_listing once per visible status and
-- merges them (the scale benchmark shows it). This file keeps the numbers of both
-- backends in step.
select 1;
