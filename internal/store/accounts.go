package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Console accounts, their sessions, and API tokens.

// Users lists an organisation's console accounts (without their password
// hashes), by name.
func (db *DB) Users(ctx context.Context, orgID int64) ([]access.User, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+userColumns+" FROM users u WHERE u.org_id = ? ORDER BY u.username"), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, u *access.User) error {
		if err := readUser(r, u); err != nil {
			return err
		}
		u.PasswordHash = ""
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// User reads one of an organisation's console accounts (without its
// password hash).
func (db *DB) User(ctx context.Context, orgID, id int64) (access.User, error) {
	var u access.User
	err := readUser(db.sql.QueryRowContext(ctx, db.q("SELECT "+userColumns+" FROM users u WHERE u.org_id = ? AND u.id = ?"), orgID, id), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return u, errkind.Errorf(errkind.NotFound, "console account %d not found", id)
	}
	if err != nil {
		return u, fmt.Errorf("read user: %w", err)
	}
	u.PasswordHash = ""
	return u, nil
}

// Tokens lists an organisation's API tokens, newest first.
func (db *DB) Tokens(ctx context.Context, orgID int64) ([]access.TokenInfo, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, org_id, name, scope, created_at, revoked_at, last_used_at FROM api_tokens WHERE org_id = ? ORDER BY id DESC"), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, t *access.TokenInfo) error {
		var c int64
		var revoked, used sql.NullInt64
		if err := r.Scan(&t.ID, &t.OrgID, &t.Name, &t.Scope, &c, &revoked, &used); err != nil {
			return err
		}
		t.CreatedAt, t.Revoked, t.LastUsed = fromMS(c), revoked.Valid, fromNullMS(used)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes an API token: it authenticates nothing from now on.
// Revoking a revoked token is a conflict.
func (db *DB) RevokeToken(ctx context.Context, orgID, id int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, db.q("SELECT name, revoked_at FROM api_tokens WHERE org_id = ? AND id = ?"), orgID, id).Scan(&name, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "API token %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("find token: %w", err)
		}
		if revoked.Valid {
			return errkind.Errorf(errkind.Conflict, "API token %q was revoked already", name)
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE api_tokens SET revoked_at = ? WHERE id = ?"), ms(db.now()), id); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "token.revoke", Subject: "token:" + name, Detail: community.Detail("token", id)})
	})
}

// CreateSession signs a console account in for ttl: it stores the new
// session (its token's SHA-256), notes the sign-in as the account's last,
// clears expired sessions, and returns the token for the browser.
func (db *DB) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("generate session: %w", err)
	}
	plain := base64.RawURLEncoding.EncodeToString(raw[:])
	now := db.now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM sessions WHERE expires_at <= ?"), ms(now)); err != nil {
			return fmt.Errorf("clear expired sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.q("INSERT INTO sessions (user_id, hash, created_at, expires_at) VALUES (?, ?, ?, ?)"), userID, hashToken(plain), ms(now), ms(now.Add(ttl))); err != nil {
			return fmt.Errorf("create session: %w", classify(err))
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE users SET last_login_at = ? WHERE id = ?"), ms(now), userID); err != nil {
			return fmt.Errorf("note sign-in: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return plain, nil
}

// SessionUser authenticates a session token: the account it belongs to,
// while the session has not expired or ended and the account is enabled.
func (db *DB) SessionUser(ctx context.Context, plain string) (access.User, access.Session, error) {
	var u access.User
	var s access.Session
	var c, e int64
	row := db.sql.QueryRowContext(ctx, db.q("SELECT s.id, s.created_at, s.expires_at, "+userColumns+" FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL"),
		hashToken(plain), ms(db.now()))
	err := readUser(row, &u, &s.ID, &c, &e)
	if errors.Is(err, sql.ErrNoRows) {
		return u, s, errkind.New(errkind.Unauthorized, "no such session: it ended or expired")
	}
	if err != nil {
		return u, s, fmt.Errorf("find session: %w", err)
	}
	s.UserID, s.CreatedAt, s.ExpiresAt = u.ID, fromMS(c), fromMS(e)
	return u, s, nil
}

// EndSession ends a session (logout); an unknown token is no error.
func (db *DB) EndSession(ctx context.Context, plain string) error {
	if _, err := db.exec(ctx, db.q("DELETE FROM sessions WHERE hash = ?"), hashToken(plain)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// SetPassword sets a console account's password hash and ends all its
// sessions: whoever had them signs in with the new password.
func (db *DB) SetPassword(ctx context.Context, orgID, userID int64, hash, actor string) error {
	return db.changeUser(ctx, orgID, userID, actor, "user.password", func(tx *sql.Tx, _ access.User) error {
		if _, err := tx.ExecContext(ctx, db.q("UPDATE users SET password_hash = ? WHERE id = ?"), hash, userID); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return nil
	})
}

// SetUserDisabled disables (ending all its sessions) or enables a console
// account. The organisation's last enabled manager cannot be disabled: no
// one would be left to enable anyone.
func (db *DB) SetUserDisabled(ctx context.Context, orgID, userID int64, disabled bool, actor string) error {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return db.changeUser(ctx, orgID, userID, actor, action, func(tx *sql.Tx, u access.User) error {
		if u.Disabled == disabled {
			return errkind.Errorf(errkind.Conflict, "%s is %s already", u.Username, map[bool]string{true: "disabled", false: "enabled"}[disabled])
		}
		if disabled && u.Role == access.Manager {
			var others int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM users WHERE org_id = ? AND role = ? AND disabled_at IS NULL AND id <> ?"), orgID, string(access.Manager), userID).Scan(&others); err != nil {
				return fmt.Errorf("count managers: %w", err)
			}
			if others == 0 {
				return errkind.Errorf(errkind.Conflict, "%s is the last enabled manager: enable or create another manager first", u.Username)
			}
		}
		var at any
		if disabled {
			at = ms(db.now())
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE users SET disabled_at = ? WHERE id = ?"), at, userID); err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		return nil
	})
}

// changeUser changes an account in a transaction that ends its sessions
// and records action in the audit log.
func (db *DB) changeUser(ctx context.Context, orgID, userID int64, actor, action string, change func(tx *sql.Tx, u access.User) error) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var u access.User
		err := readUser(tx.QueryRowContext(ctx, db.q("SELECT "+userColumns+" FROM users u WHERE u.org_id = ? AND u.id = ?"), orgID, userID), &u)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "console account %d not found", userID)
		}
		if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		if err := change(tx, u); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q("DELETE FROM sessions WHERE user_id = ?"), userID)
		if err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		ended, _ := res.RowsAffected()
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: action, Subject: "user:" + u.Username, Detail: community.Detail("user", userID, "sessions_ended", ended)})
	})
}
