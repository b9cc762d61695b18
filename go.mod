module github.com/roger365io/roger

go 1.26.8

require (
	github.com/google/btree v1.1.3 // indirect
	github.com/nyaruka/phonenumbers v1.8.1 // indirect
	golang.org/x/text v0.23.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
