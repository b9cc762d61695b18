module github.com/roger365io/roger

go 1.26.8

require github.com/google/btree v1.1.3 // indirect
