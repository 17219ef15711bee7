import { Migration } from "@mikro-orm/migrations";

/**
 * A function the SetMany statement calls for a block whose merged state is
 * too large: raising inside the statement rolls back every block of the call.
 * SQLSTATE LS413 is ours; translate-driver-error.ts turns it into
 * STATE_TOO_LARGE.
 */
export class Migration0002StateSizeGuard extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function learnerstate_refuse_large_state(usage_key text, size bigint, max_size bigint) returns text
      language plpgsql as $$
      begin
        raise exception using errcode = 'LS413', message = 'state too large', detail = usage_key, hint = size || '/' || max_size;
      end $$`);
  }

  override async down(): Promise<void> {
    this.addSql("drop function learnerstate_refuse_large_state(text, bigint, bigint)");
  }
}
