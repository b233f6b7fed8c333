using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.Tenants;

/// <summary>
/// The tenant list. Rows stay in creation order, so a page is a binary search for the cursor's sequence
/// number plus a copy; the name index is rebuilt on activation instead of being stored twice.
/// </summary>
public sealed class TenantDirectoryGrain([PersistentState("directory")] IPersistentState<TenantDirectoryState> state) : Grain, ITenantDirectoryGrain
{
    private readonly Dictionary<string, TenantDirectoryRow> _byId = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (TenantDirectoryRow row in state.State.Tenants)
        {
            _byId[row.Id] = row;
            _names.Add(row.Name);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<TenantReservation> ReserveAsync(string id, string name, DateTimeOffset createdAt)
    {
        if (_byId.ContainsKey(id))
        {
            return TenantReservation.IdTaken;
        }

        if (_names.Contains(name))
        {
            return TenantReservation.NameTaken;
        }

        var row = new TenantDirectoryRow { Sequence = state.State.LastSequence + 1, Id = id, Name = name, CreatedAt = createdAt };
        state.State.LastSequence = row.Sequence;
        state.State.Tenants.Add(row);
        _byId[id] = row;
        _names.Add(name);
        await state.WriteStateAsync();
        return TenantReservation.Reserved;
    }

    /// <inheritdoc />
    public async Task RemoveAsync(string id)
    {
        if (!_byId.Remove(id, out TenantDirectoryRow? row))
        {
            return;
        }

        _names.Remove(row.Name);
        state.State.Tenants.Remove(row);
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task SetDisabledAsync(string id, bool disabled)
    {
        if (_byId.TryGetValue(id, out TenantDirectoryRow? row) && row.Disabled != disabled)
        {
            row.Disabled = disabled;
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public Task<TenantDirectoryPage> ListAsync(long afterSequence, int limit)
    {
        List<TenantDirectoryRow> rows = state.State.Tenants;
        int start = FirstAfter(rows, afterSequence);
        int count = Math.Clamp(limit, 0, rows.Count - start);
        var items = new List<TenantDirectoryEntry>(count);
        for (int i = start; i < start + count; i++)
        {
            TenantDirectoryRow row = rows[i];
            items.Add(new TenantDirectoryEntry(row.Sequence, row.Id, row.Name, row.CreatedAt, row.Disabled));
        }

        return Task.FromResult(new TenantDirectoryPage(items, start + count < rows.Count));
    }

    /// <summary>Index of the first row whose sequence is greater than <paramref name="afterSequence"/>.</summary>
    private static int FirstAfter(List<TenantDirectoryRow> rows, long afterSequence)
    {
        int low = 0;
        int high = rows.Count;
        while (low < high)
        {
            int middle = low + ((high - low) / 2);
            if (rows[middle].Sequence <= afterSequence)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
