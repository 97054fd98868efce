package simulator

import "fmt"

// RecordChanges is what ChangeRecords does to a model's records.
type RecordChanges struct {
	Add, Update, Delete int
}

// ChangeRecords changes the records of a sync's model as a run of that sync would: it
// updates the oldest live records, deletes the next ones and adds new ones, each change
// with a new cursor, and returns the sync webhook Nango sends after such a run (deliver
// it with SendWebhook). The seeded syncs never delete; this makes changes of every kind.
func (s *Simulator) ChangeRecords(integrationKey, connectionID, syncName, variant string, ch RecordChanges) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	i := st.integration(integrationKey)
	conn := st.connection(integrationKey, connectionID)
	if i == nil || conn == nil {
		return nil, fmt.Errorf("simulator: no connection %q of %q", connectionID, integrationKey)
	}
	f := i.function(syncName, "sync")
	if f == nil || len(f.returns) == 0 {
		return nil, fmt.Errorf("simulator: no sync %q with a model on %q", syncName, integrationKey)
	}
	started := s.tick()
	model := f.returns[0]
	rs := st.recordSet(conn.id, variantModel(model, variant), true)
	var changed []*record
	updated, deleted := 0, 0
	for _, old := range rs.recs {
		if updated+deleted == ch.Update+ch.Delete {
			break
		}
		if old.deletedAt != nil {
			continue
		}
		t := s.tick()
		cp := *old
		cp.updatedAt = t
		cp.prunedAt = nil
		if updated < ch.Update {
			cp.payload = touchPayload(old.payload, t)
			updated++
		} else {
			cp.deletedAt = &t
			deleted++
		}
		changed = append(changed, &cp)
	}
	for n := 0; n < ch.Add; n++ {
		t := s.tick()
		ext, payload := samplePayload(model, conn.connectionID, len(rs.byExt)+1+n, t, t, st.ids)
		changed = append(changed, &record{uuid: st.ids.uuid(), externalID: ext, payload: payload, createdAt: t, updatedAt: t})
	}
	rs.put(changed...)
	return obj{
		{"from", "nango"},
		{"type", "sync"},
		{"connectionId", conn.connectionID},
		{"providerConfigKey", i.uniqueKey},
		{"syncName", syncName},
		{"syncVariant", variantOrBase(variant)},
		{"model", model},
		{"syncType", "INCREMENTAL"},
		{"success", true},
		{"modifiedAfter", isoTime(started)},
		{"responseResults", obj{{"added", ch.Add}, {"updated", updated}, {"deleted", deleted}}},
		{"queryTimeStamp", isoTime(started)},
	}, nil
}

func variantOrBase(v string) string {
	if v == "" {
		return "base"
	}
	return v
}
