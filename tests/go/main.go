// Command gologin logs in to a MongoDB server with the official Go driver
// (go.mongodb.org/mongo-driver/v2) and proves the login: it runs `ping` and
// `connectionStatus` and prints the authenticated users. The URI comes from
// the MONGOAUTH_URI environment variable.
//
// Output, one line: `OK user=<user> db=<db>` and exit 0, or
// `FAIL code=<server error code> <message>` and exit 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func fail(err error) {
	code := 0
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		code = int(ce.Code)
	}
	fmt.Printf("FAIL code=%d %v\n", code, err)
	os.Exit(1)
}

func main() {
	uri := os.Getenv("MONGOAUTH_URI")
	if uri == "" {
		fmt.Println("FAIL code=0 MONGOAUTH_URI is not set")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second)
	client, err := mongo.Connect(opts)
	if err != nil {
		fail(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	admin := client.Database("admin")
	if err := admin.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		fail(err)
	}
	var status struct {
		AuthInfo struct {
			AuthenticatedUsers []struct {
				User string `bson:"user"`
				DB   string `bson:"db"`
			} `bson:"authenticatedUsers"`
		} `bson:"authInfo"`
	}
	if err := admin.RunCommand(ctx, bson.D{{Key: "connectionStatus", Value: 1}}).Decode(&status); err != nil {
		fail(err)
	}
	users := status.AuthInfo.AuthenticatedUsers
	if len(users) != 1 {
		fmt.Printf("FAIL code=0 connectionStatus lists %d authenticated users\n", len(users))
		os.Exit(1)
	}
	fmt.Printf("OK user=%s db=%s\n", users[0].User, users[0].DB)
}
