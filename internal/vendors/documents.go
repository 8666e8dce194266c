package vendors

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/filestore"
)

// Document kinds.
const (
	DocRUT             = "rut"
	DocCamaraComercio  = "camara_comercio"
	DocIdentity        = "identity_document"
	DocBankCertificate = "bank_certificate"
)

// ValidDocumentKind reports whether k is one of the document kinds.
func ValidDocumentKind(k string) bool {
	switch k {
	case DocRUT, DocCamaraComercio, DocIdentity, DocBankCertificate:
		return true
	}
	return false
}

// DocumentInfo is a document's metadata; the content is in the file store.
type DocumentInfo struct {
	Kind       string         `json:"kind"`
	FileKind   filestore.Kind `json:"file_kind"`
	MediaType  string         `json:"media_type"`
	Size       int64          `json:"size"`
	SHA256     string         `json:"sha256"`
	UploadedBy string         `json:"uploaded_by"`
	CreatedAt  time.Time      `json:"created_at"`
	key        string
}

func (s *Service) documents(ctx context.Context, q querier, vendorID string) (
	[]DocumentInfo, error) {
	rows, err := q.QueryContext(ctx, s.opts.DB.Rebind(`SELECT doc_kind, file_kind, size,
		sha256, storage_key, uploaded_by, created_at FROM vendor_documents
		WHERE vendor_id = ? ORDER BY doc_kind`), vendorID)
	if err != nil {
		return nil, fmt.Errorf("vendors: documents: %w", err)
	}
	defer rows.Close()
	out := []DocumentInfo{}
	for rows.Next() {
		var d DocumentInfo
		var fk string
		if err := rows.Scan(&d.Kind, &fk, &d.Size, &d.SHA256, &d.key, &d.UploadedBy,
			&d.CreatedAt); err != nil {
			return nil, fmt.Errorf("vendors: documents: %w", err)
		}
		d.FileKind = filestore.Kind(fk)
		d.MediaType = d.FileKind.MediaType()
		d.CreatedAt = d.CreatedAt.UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vendors: documents: %w", err)
	}
	return out, nil
}

// Upload stores a document of the owner's draft or rejected vendor,
// replacing the previous one of the same kind. declared is the request's
// Content-Type; the file store checks it against the content.
func (s *Service) Upload(ctx context.Context, ownerID, vendorID, kind, declared string,
	body io.Reader, meta audit.Event) (DocumentInfo, error) {
	if !ValidDocumentKind(kind) {
		return DocumentInfo{}, ErrNotFound
	}
	cur, err := s.Get(ctx, ownerID, vendorID)
	if err != nil {
		return DocumentInfo{}, err
	}
	if !editable(cur.Status) {
		return DocumentInfo{}, &StateError{Status: cur.Status, Action: "change documents of"}
	}
	if kind == DocCamaraComercio && cur.PersonType != Juridica {
		return DocumentInfo{}, invalid("/kind", "not_applicable",
			"a cámara de comercio certificate is only for a persona jurídica")
	}
	suffix, err := s.random(10)
	if err != nil {
		return DocumentInfo{}, err
	}
	key := strings.ReplaceAll(vendorID, "_", "-") + "-" + kind + "-" + suffix
	doc, err := s.opts.Vault.Put(ctx, key, body, declared)
	if err != nil {
		return DocumentInfo{}, err
	}
	now := s.now()
	by := audit.Actor{Type: audit.ActorPerson, ID: ownerID}
	var oldKey string
	err = s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		v, err := s.lock(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if !editable(v.Status) {
			return &StateError{Status: v.Status, Action: "change documents of"}
		}
		err = tx.QueryRowContext(ctx, s.opts.DB.Rebind(`SELECT storage_key
			FROM vendor_documents WHERE vendor_id = ? AND doc_kind = ?`), vendorID,
			kind).Scan(&oldKey)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("vendors: document: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.opts.DB.Rebind(`UPDATE vendor_documents SET
			file_kind = ?, size = ?, sha256 = ?, storage_key = ?, uploaded_by = ?,
			created_at = ? WHERE vendor_id = ? AND doc_kind = ?`),
			string(doc.Kind), doc.Size, doc.SHA256, doc.Key, ownerID, now, vendorID, kind)
		if err != nil {
			return fmt.Errorf("vendors: document: %w", err)
		}
		replaced := "false"
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.ExecContext(ctx, s.opts.DB.Rebind(`INSERT INTO vendor_documents
				(vendor_id, doc_kind, file_kind, size, sha256, storage_key, uploaded_by,
				created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
				vendorID, kind, string(doc.Kind), doc.Size, doc.SHA256, doc.Key, ownerID, now)
			if err != nil {
				return fmt.Errorf("vendors: document: %w", err)
			}
		} else {
			replaced = "true"
		}
		return s.append(ctx, tx, event(meta, by, "vendor.document_uploaded", vendorID,
			map[string]string{"doc_kind": kind, "file_kind": string(doc.Kind),
				"size": strconv.FormatInt(doc.Size, 10), "sha256": doc.SHA256,
				"replaced": replaced}))
	})
	if err != nil {
		s.deleteFile(doc.Key)
		return DocumentInfo{}, err
	}
	if oldKey != "" {
		s.deleteFile(oldKey)
	}
	return DocumentInfo{Kind: kind, FileKind: doc.Kind, MediaType: doc.Kind.MediaType(),
		Size: doc.Size, SHA256: doc.SHA256, UploadedBy: ownerID, CreatedAt: now,
		key: doc.Key}, nil
}

// Download returns a document of the owner's vendor; the download is
// audited.
func (s *Service) Download(ctx context.Context, ownerID, vendorID, kind string,
	meta audit.Event) (DocumentInfo, []byte, error) {
	if _, err := s.Get(ctx, ownerID, vendorID); err != nil {
		return DocumentInfo{}, nil, err
	}
	return s.download(ctx, audit.Actor{Type: audit.ActorPerson, ID: ownerID}, vendorID,
		kind, meta)
}

// AdminDownload returns any vendor's document for review; audited.
func (s *Service) AdminDownload(ctx context.Context, by audit.Actor, vendorID, kind string,
	meta audit.Event) (DocumentInfo, []byte, error) {
	return s.download(ctx, by, vendorID, kind, meta)
}

func (s *Service) download(ctx context.Context, by audit.Actor, vendorID, kind string,
	meta audit.Event) (DocumentInfo, []byte, error) {
	if !ValidDocumentKind(kind) {
		return DocumentInfo{}, nil, ErrNotFound
	}
	docs, err := s.documents(ctx, s.opts.DB, vendorID)
	if err != nil {
		return DocumentInfo{}, nil, err
	}
	var doc *DocumentInfo
	for i := range docs {
		if docs[i].Kind == kind {
			doc = &docs[i]
		}
	}
	if doc == nil {
		return DocumentInfo{}, nil, ErrNotFound
	}
	content, err := s.opts.Vault.Get(ctx, doc.key, doc.SHA256, doc.FileKind)
	if err != nil {
		return DocumentInfo{}, nil, fmt.Errorf("vendors: read document: %w", err)
	}
	err = s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		return s.append(ctx, tx, event(meta, by, "vendor.document_downloaded", vendorID,
			map[string]string{"doc_kind": kind, "sha256": doc.SHA256}))
	})
	if err != nil {
		return DocumentInfo{}, nil, err
	}
	return *doc, content, nil
}

// Filename is the name a download is offered under.
func (d DocumentInfo) Filename() string { return d.Kind + d.FileKind.Extension() }

// deleteFile removes a file no row refers to; a failure leaves an orphan
// that is logged.
func (s *Service) deleteFile(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.opts.Vault.Delete(ctx, key); err != nil && !errors.Is(err, filestore.ErrNotFound) {
		s.opts.Logger.Warn("vendors: orphan document not deleted", "key", key, "error", err)
	}
}
