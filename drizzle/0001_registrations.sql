CREATE TABLE "registration" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"email_normalised" text NOT NULL,
	"name" varchar(255) NOT NULL,
	"organisation" varchar(255) NOT NULL,
	"role_ids" jsonb NOT NULL,
	"trust_id" uuid,
	"state" text NOT NULL,
	"user_id" uuid,
	"username" text,
	"requested_by" uuid NOT NULL,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"compensation_attempts" integer DEFAULT 0 NOT NULL,
	"create_attempted_at" timestamp with time zone,
	"database_compensated_at" timestamp with time zone,
	"error_code" text,
	"error_detail" text,
	"failure_detail" text,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registration_event" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"registration_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"actor" text NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "registration_event" ADD CONSTRAINT "registration_event_registration_id_registration_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registration"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_registration_active_email" ON "registration" USING btree ("email_normalised") WHERE state IN ('pending', 'identity_created', 'compensating', 'needs_attention');--> statement-breakpoint
CREATE UNIQUE INDEX "uq_registration_idempotency_key" ON "registration" USING btree ("requested_by","idempotency_key") WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX "ix_registration_state" ON "registration" USING btree ("state");--> statement-breakpoint
CREATE INDEX "ix_registration_event_registration" ON "registration_event" USING btree ("registration_id");