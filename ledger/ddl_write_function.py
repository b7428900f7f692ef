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
   rolled back and it answers ``{"replay": true}``), the postings, and the balance updates.

Because nothing is written when it answers an error, the caller's transaction stays usable
without a SAVEPOINT round trip. The deferred balance triggers and CHECK constraints still
guard everything at commit.
"""

from __future__ import annotations

CREATE = r"""
CREATE FUNCTION ledger_write(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_booked timestamptz := (p->>'booked_at')::timestamptz;
    v_expected int := jsonb_array_length(p->'items');
    v_acct record;
    v_ids jsonb;
    v_inserted int;
    v_postings jsonb;
    v_locked int := 0;
BEGIN
    -- Lock first, in the global order; whoever held these rows has committed by now.
    PERFORM 1 FROM ledger_accounts a
    WHERE a.id IN (SELECT (d->>0)::bigint FROM jsonb_array_elements(p->'deltas') AS d)
    ORDER BY a.hot, a.id
    FOR UPDATE;
    -- A key, hold or reversal already taken: a replay or a lost race, decided by the caller.
    IF EXISTS (
        SELECT 1 FROM jsonb_array_elements(p->'items') AS it
        JOIN ledger_entries e ON e.idempotency_key = it->>'key'
            OR e.pending_entry_id = (it->>'pending_entry_id')::bigint
            OR e.reversed_entry_id = (it->>'reversed_entry_id')::bigint
    ) THEN
        RETURN jsonb_build_object('replay', true);
    END IF;
    FOR v_acct IN
        SELECT a.id, a.closed_at, a.debits_must_not_exceed_credits AS dmnec,
               a.credits_must_not_exceed_debits AS cmned,
               a.debits_posted + (d->>1)::bigint AS dp, a.credits_posted + (d->>2)::bigint AS cp,
               a.debits_pending + (d->>3)::bigint AS dq, a.credits_pending + (d->>4)::bigint AS cq
        FROM jsonb_array_elements(p->'deltas') AS d
        JOIN ledger_accounts a ON a.id = (d->>0)::bigint
    LOOP
        IF v_acct.closed_at IS NOT NULL THEN
            RETURN jsonb_build_object('error', 'account_closed', 'account_id', v_acct.id);
        END IF;
        IF v_acct.dq < 0 OR v_acct.cq < 0
           OR (v_acct.dmnec AND v_acct.dp + v_acct.dq > v_acct.cp)
           OR (v_acct.cmned AND v_acct.cp + v_acct.cq > v_acct.dp) THEN
            RETURN jsonb_build_object('error', 'insufficient_funds', 'account_id', v_acct.id);
        END IF;
        v_locked := v_locked + 1;
    END LOOP;
    IF v_locked < jsonb_array_length(p->'deltas') THEN
        RETURN jsonb_build_object('error', 'unknown_account');
    END IF;

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
            SELECT (v_ids->>(it->>'key'))::bigint, a.id, a.currency, l->>1,
                   (l->>2)::bigint, l->>3, (it->>'effective_at')::timestamptz
            FROM jsonb_array_elements(p->'items') WITH ORDINALITY AS x(it, n)
            CROSS JOIN LATERAL jsonb_array_elements(it->'lines') WITH ORDINALITY AS y(l, m)
            JOIN ledger_accounts a ON a.id = (l->>0)::bigint
            ORDER BY n, m
            RETURNING id, entry_id
        )
        SELECT coalesce(jsonb_agg(jsonb_build_array(entry_id, id) ORDER BY id), '[]'::jsonb)
        INTO v_postings FROM ins;
        IF jsonb_array_length(v_postings) <> (p->>'line_count')::int THEN
            RAISE EXCEPTION 'ledger_write: % postings written, % expected',
                jsonb_array_length(v_postings), p->>'line_count';
        END IF;

        UPDATE ledger_accounts a SET
            debits_posted = a.debits_posted + (d->>1)::bigint,
            credits_posted = a.credits_posted + (d->>2)::bigint,
            debits_pending = a.debits_pending + (d->>3)::bigint,
            credits_pending = a.credits_pending + (d->>4)::bigint
        FROM jsonb_array_elements(p->'deltas') AS d
        WHERE a.id = (d->>0)::bigint;
    EXCEPTION WHEN SQLSTATE 'MK001' THEN
        RETURN jsonb_build_object('replay', true);
    END;
    RETURN jsonb_build_object('entries', v_ids, 'postings', v_postings);
END $$
"""

DROP = "DROP FUNCTION IF EXISTS ledger_write(jsonb)"
