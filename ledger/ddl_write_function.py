"""``ledger_write(jsonb)``: the PostgreSQL write path in one round trip.

Python validates a batch (shapes, accounts, balance per currency) and computes each
account's delta; the function then, in one call:
1. locks the touched accounts in the global order (ordinary by id, then hot by id) with
   ``SELECT ... ORDER BY hot, id FOR UPDATE`` (rows are locked in output order); answers
   ``{"replay": true}`` if a key, hold or reversal of the batch is already taken; then checks
   each account is open and stays within its balance constraint — answering
   ``{"error": ...}`` WITHOUT writing anything if not;
2. inside a subtransaction, inserts the entries (``ON CONFLICT DO NOTHING``; if any was not
   inserted — a replayed key, or a hold resolved by someone else — the subtransaction is
   rolled back and it answers ``{"replay": true}``) and the postings. The accounts' totals
   are moved by the triggers of those inserts (``ledger.balance_guard``, since migration
   0014), on the rows locked in step 1; the deltas are only for the checks of step 1.

Because nothing is written when it answers an error, the caller's transaction stays usable
without a SAVEPOINT round trip. The deferred balance triggers and CHECK constraints still
guard everything at commit.
"""

from __future__ import annotations

_TEMPLATE = r"""
CREATE OR REPLACE FUNCTION ledger_write(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_booked timestamptz := (p->>'booked_at')::timestamptz;
    v_expected int := jsonb_array_length(p->'items');
    v_account_ids bigint[] := ARRAY(
        SELECT (d->>0)::bigint FROM jsonb_array_elements(p->'deltas') AS d);
    v_delta jsonb;
    v_acct ledger_accounts%ROWTYPE;
    v_ids jsonb;
    v_inserted int;
    v_postings jsonb;
BEGIN
    -- Lock first, in the global order; whoever held these rows has committed by now.
    -- (Every lookup below is by primary key or a unique index: no scan grows with the books.)
    PERFORM 1 FROM ledger_accounts a WHERE a.id = ANY (v_account_ids)
    ORDER BY a.hot, a.id
    FOR UPDATE;
    -- A key, hold or reversal already taken: a replay or a lost race, decided by the caller.
    IF EXISTS (
        SELECT 1 FROM jsonb_array_elements(p->'items') AS it
        WHERE EXISTS (SELECT 1 FROM ledger_entries e WHERE e.idempotency_key = it->>'key')
           OR EXISTS (SELECT 1 FROM ledger_entries e
                      WHERE e.pending_entry_id = (it->>'pending_entry_id')::bigint)
           OR EXISTS (SELECT 1 FROM ledger_entries e
                      WHERE e.reversed_entry_id = (it->>'reversed_entry_id')::bigint)
    ) THEN
        RETURN jsonb_build_object('replay', true);
    END IF;
    FOR v_delta IN SELECT d FROM jsonb_array_elements(p->'deltas') AS d LOOP
        SELECT * INTO v_acct FROM ledger_accounts WHERE id = (v_delta->>0)::bigint;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('error', 'unknown_account');
        END IF;
        IF v_acct.closed_at IS NOT NULL THEN
            RETURN jsonb_build_object('error', 'account_closed', 'account_id', v_acct.id);
        END IF;
        IF v_acct.debits_pending + (v_delta->>3)::bigint < 0
           OR v_acct.credits_pending + (v_delta->>4)::bigint < 0
           OR (v_acct.debits_must_not_exceed_credits
               AND v_acct.debits_posted + (v_delta->>1)::bigint
                   + v_acct.debits_pending + (v_delta->>3)::bigint
                   > v_acct.credits_posted + (v_delta->>2)::bigint)
           OR (v_acct.credits_must_not_exceed_debits
               AND v_acct.credits_posted + (v_delta->>2)::bigint
                   + v_acct.credits_pending + (v_delta->>4)::bigint
                   > v_acct.debits_posted + (v_delta->>1)::bigint) THEN
            RETURN jsonb_build_object('error', 'insufficient_funds', 'account_id', v_acct.id);
        END IF;
    END LOOP;

    BEGIN
        WITH ins AS (
            INSERT INTO ledger_entries (idempotency_key, content_hash, kind, description,
                                        reference, meta, effective_at, booked_at, expires_at,
                                        pending_entry_id, reversed_entry_id)
            SELECT it->>'key', it->>'hash', it->>'kind', it->>'description', it->>'reference',
                   it->'meta', (it->>'effective_at')::timestamptz, v_booked,
                   (it->>'expires_at')::timestamptz, (it->>'pending_entry_id')::bigint,
                   (it->>'reversed_entry_id')::bigint
            FROM jsonb_array_elements(p->'items') WITH ORDINALITY AS x(it, n)
            ORDER BY n
            ON CONFLICT DO NOTHING
            RETURNING id, idempotency_key
        )
        SELECT coalesce(jsonb_object_agg(idempotency_key, id), '{}'::jsonb), count(*)
        INTO v_ids, v_inserted FROM ins;
        IF v_inserted < v_expected THEN
            RAISE EXCEPTION 'ledger_write: replay' USING ERRCODE = 'MK001';
        END IF;

        WITH ins AS (
            INSERT INTO ledger_postings (entry_id, account_id, currency, side, amount_minor,
                                         phase, effective_at)
            SELECT (v_ids->>(it->>'key'))::bigint, (l->>0)::bigint,
                   (SELECT a.currency FROM ledger_accounts a WHERE a.id = (l->>0)::bigint),
                   l->>1, (l->>2)::bigint, l->>3, (it->>'effective_at')::timestamptz
            FROM jsonb_array_elements(p->'items') WITH ORDINALITY AS x(it, n)
            CROSS JOIN LATERAL jsonb_array_elements(it->'lines') WITH ORDINALITY AS y(l, m)
            ORDER BY n, m
            RETURNING id, entry_id
        )
        SELECT coalesce(jsonb_agg(jsonb_build_array(entry_id, id) ORDER BY id), '[]'::jsonb)
        INTO v_postings FROM ins;
        IF jsonb_array_length(v_postings) <> (p->>'line_count')::int THEN
            RAISE EXCEPTION 'ledger_write: % postings written, % expected',
                jsonb_array_length(v_postings), p->>'line_count';
        END IF;

        -- MOVE TOTALS
    EXCEPTION WHEN SQLSTATE 'MK001' THEN
        RETURN jsonb_build_object('replay', true);
    END;
    RETURN jsonb_build_object('entries', v_ids, 'postings', v_postings);
END $$
"""

_MOVE_TOTALS_0003 = """
        FOR v_delta IN SELECT d FROM jsonb_array_elements(p->'deltas') AS d LOOP
            UPDATE ledger_accounts SET
                debits_posted = debits_posted + (v_delta->>1)::bigint,
                credits_posted = credits_posted + (v_delta->>2)::bigint,
                debits_pending = debits_pending + (v_delta->>3)::bigint,
                credits_pending = credits_pending + (v_delta->>4)::bigint
            WHERE id = (v_delta->>0)::bigint;
        END LOOP;
"""

CREATE_0003 = _TEMPLATE.replace("-- MOVE TOTALS", _MOVE_TOTALS_0003.strip())
"""As migration 0003 made it: the function moved the totals itself (until 0014)."""
CREATE = _TEMPLATE.replace(
    "-- MOVE TOTALS",
    "-- The totals move by the triggers of the rows just inserted (ledger.balance_guard).",
)
"""Since migration 0014."""
DROP = "DROP FUNCTION IF EXISTS ledger_write(jsonb)"
