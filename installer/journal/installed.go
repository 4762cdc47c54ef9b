package journal

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// PutInstalled records (or replaces) the inventory entry of package in.ID. InstalledAt is set to
// now when zero.
func (j *Journal) PutInstalled(in *Installed) error {
	if in.ID == "" {
		return fmt.Errorf("journal %s: recording an installed package with no id (name %q)", j.path, in.Name)
	}
	c := *in
	if c.InstalledAt.IsZero() {
		c.InstalledAt = j.stamp()
	}
	raw, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("journal %s: encoding installed package %s: %w", j.path, in.ID, err)
	}
	err = j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInstalled).Put([]byte(in.ID), raw)
	})
	if err != nil {
		return fmt.Errorf("journal %s: recording installed package %s: %w", j.path, in.ID, err)
	}
	*in = c
	return nil
}

// GetInstalled returns the inventory entry of package id, or an error wrapping ErrNotFound.
func (j *Journal) GetInstalled(id string) (*Installed, error) {
	in := new(Installed)
	err := j.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketInstalled).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		return j.decode("the record", raw, in)
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: installed package %q: %w", j.path, id, err)
	}
	return in, nil
}

// DeleteInstalled removes the inventory entry of package id. Removing an entry that is not there is
// not an error, so that an uninstall re-run after a crash can do it again.
func (j *Journal) DeleteInstalled(id string) error {
	err := j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInstalled).Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("journal %s: removing installed package %q: %w", j.path, id, err)
	}
	return nil
}

// ListInstalled returns the inventory, ordered by package id.
func (j *Journal) ListInstalled() ([]*Installed, error) {
	var list []*Installed
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInstalled).ForEach(func(k, raw []byte) error {
			in := new(Installed)
			if err := j.decode(fmt.Sprintf("installed package %q", k), raw, in); err != nil {
				return err
			}
			list = append(list, in)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: listing installed packages: %w", j.path, err)
	}
	return list, nil
}
