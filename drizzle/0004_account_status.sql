CREATE TABLE "account_status" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"disabled" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
