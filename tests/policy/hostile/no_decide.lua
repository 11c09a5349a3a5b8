-- expect: load
-- the contract: a table with a decide function
return { decide = "not a function" }
