import { PresenceTable } from '../../client/presence-table';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 28, 10, 0, seconds)).toISOString();

describe('PresenceTable', () => {
  it('reports a change only when status or lastSeen changes', () => {
    const table = new PresenceTable();

    const first = table.applySnapshot({ userId: '1', status: 'online', lastSeen: null });
    const same = table.applyChange({ userId: '1', status: 'online', lastSeen: null, changedAt: at(5) });
    const other = table.applyChange({ userId: '1', status: 'offline', lastSeen: at(9), changedAt: at(10) });

    expect(first).toEqual({ userId: '1', status: 'online', lastSeen: null, changedAt: null });
    expect(same).toBeNull();
    expect(other).toEqual({ userId: '1', status: 'offline', lastSeen: at(9), changedAt: at(10) });
  });

  it('drops an event whose changedAt is not newer than the newest applied', () => {
    const table = new PresenceTable();
    table.applyChange({ userId: '1', status: 'offline', lastSeen: at(9), changedAt: at(10) });

    const duplicate = table.applyChange({ userId: '1', status: 'offline', lastSeen: at(9), changedAt: at(10) });
    const stale = table.applyChange({ userId: '1', status: 'online', lastSeen: null, changedAt: at(8) });

    expect([duplicate, stale]).toEqual([null, null]);
    expect(table.get('1')?.status).toBe('offline');
  });

  it('keeps the newest changedAt across a snapshot, so an old event cannot undo what the snapshot says', () => {
    const table = new PresenceTable();
    table.applyChange({ userId: '1', status: 'offline', lastSeen: at(9), changedAt: at(10) });
    table.applySnapshot({ userId: '1', status: 'online', lastSeen: null });

    const replayed = table.applyChange({ userId: '1', status: 'offline', lastSeen: at(9), changedAt: at(10) });
    const newer = table.applyChange({ userId: '1', status: 'offline', lastSeen: at(20), changedAt: at(21) });

    expect(replayed).toBeNull();
    expect(newer?.lastSeen).toBe(at(20));
  });

  it('treats an offline snapshot as no older than its lastSeen', () => {
    const table = new PresenceTable();
    table.applySnapshot({ userId: '1', status: 'offline', lastSeen: at(30) });

    const before = table.applyChange({ userId: '1', status: 'online', lastSeen: null, changedAt: at(29) });
    const after = table.applyChange({ userId: '1', status: 'online', lastSeen: null, changedAt: at(31) });

    expect(before).toBeNull();
    expect(after?.status).toBe('online');
  });
});
