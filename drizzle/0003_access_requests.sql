CREATE TABLE "access_request" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" varchar(320) NOT NULL,
	"full_name" varchar(255) NOT NULL,
	"reason_for_access" varchar(2000) NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"email_notified" boolean DEFAULT false NOT NULL,
	"handled_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ck_access_request_status" CHECK ("access_request"."status" IN ('PENDING', 'ENROLLED', 'DISMISSED'))
);
--> statement-breakpoint
CREATE INDEX "ix_access_request_status_created" ON "access_request" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "ix_access_request_created" ON "access_request" USING btree ("created_at");