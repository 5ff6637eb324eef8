DROP INDEX "uq_registration_active_email";--> statement-breakpoint
ALTER TABLE "registration" ADD COLUMN "kind" text DEFAULT 'register' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_registration_active_email" ON "registration" USING btree ("email_normalised") WHERE state IN ('pending', 'identity_created', 'compensating', 'deleting', 'needs_attention');