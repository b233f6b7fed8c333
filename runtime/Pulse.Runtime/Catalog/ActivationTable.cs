using System.Diagnostics.CodeAnalysis;

namespace Pulse.Runtime.Catalog;

/// <summary>
/// The activations of a silo by grain id: an open-addressing hash table of activation references
/// with lock-free lookups and locked writes.
/// </summary>
/// <remarks>
/// A <c>ConcurrentDictionary&lt;GrainId, GrainActivation&gt;</c> costs a 64-byte node per activation
/// (plus its bucket), which copies the grain id the activation already holds; with one activation per
/// cache entry that was a tenth of an entry's memory. Here a slot is a reference and the grain id's
/// hash, and the rest of the key is read from the activation itself.
/// <para>
/// The hash is kept in the slot so that a probe passing over another grain's slot does not read that
/// activation: with many activations each one read is a cache miss, and at the table's load a lookup
/// passes over about one other slot on average. Only an activation whose hash matches is read.
/// </para>
/// <para>
/// Lookups may miss an activation added or moved by a concurrent resize; callers then take the locked
/// path (<see cref="GetOrAdd"/>), which sees every committed write. A removed slot becomes a tombstone
/// so probe chains stay intact for readers; resizing drops the tombstones.
/// </para>
/// </remarks>
internal sealed class ActivationTable
{
    private const int MinimumCapacity = 16;

    // Live entries plus tombstones stay below this share of the slots, so every probe sequence
    // reaches an empty slot and lookups stay short (about 2 probes for a hit at the limit).
    private const double MaxLoad = 0.7;

    private static readonly object Tombstone = new();

    private readonly Lock _writeLock = new();
    private Slot[] _slots = new Slot[MinimumCapacity];
    private int _count;
    private int _tombstones;

    /// <summary>Live activations.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Finds the activation of <paramref name="grainId"/>; lock-free.</summary>
    public bool TryGetValue(GrainId grainId, [MaybeNullWhen(false)] out GrainActivation activation)
    {
        Slot[] slots = Volatile.Read(ref _slots);
        int mask = slots.Length - 1;
        uint hash = grainId.UniformHash;
        for (int i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            // The entry is read before its hash: a writer sets the hash first and publishes the entry
            // with a release, so a hash read after an activation belongs to that activation (a stale
            // hash beside a tombstone or null only costs a skipped slot).
            ref Slot slot = ref slots[i];
            object? entry = Volatile.Read(ref slot.Entry);
            if (entry is null)
            {
                activation = null;
                return false;
            }

            if (slot.Hash == hash && entry is GrainActivation candidate && candidate.GrainId.Equals(grainId))
            {
                activation = candidate;
                return true;
            }
        }
    }

    /// <summary>Adds <paramref name="created"/> unless its grain already has an activation; returns the one in the table.</summary>
    public GrainActivation GetOrAdd(GrainActivation created)
    {
        lock (_writeLock)
        {
            if (TryGetValue(created.GrainId, out GrainActivation? existing))
            {
                return existing;
            }

            if (_count + _tombstones + 1 > _slots.Length * MaxLoad)
            {
                Resize();
            }

            Slot[] slots = _slots;
            int mask = slots.Length - 1;
            uint hash = created.GrainId.UniformHash;
            int i = (int)hash & mask;
            while (slots[i].Entry is GrainActivation)
            {
                i = (i + 1) & mask;
            }

            if (ReferenceEquals(slots[i].Entry, Tombstone))
            {
                _tombstones--;
            }

            // Release: a reader that sees the reference sees its hash and the constructed activation.
            slots[i].Hash = hash;
            Volatile.Write(ref slots[i].Entry, created);
            _count++;
            return created;
        }
    }

    /// <summary>Removes <paramref name="activation"/> if it is still the one registered for its grain.</summary>
    public bool TryRemove(GrainActivation activation)
    {
        lock (_writeLock)
        {
            Slot[] slots = _slots;
            int mask = slots.Length - 1;
            for (int i = (int)activation.GrainId.UniformHash & mask; slots[i].Entry is not null; i = (i + 1) & mask)
            {
                if (ReferenceEquals(slots[i].Entry, activation))
                {
                    Volatile.Write(ref slots[i].Entry, Tombstone);
                    _count--;
                    _tombstones++;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Enumerates the live activations without locking: changes made meanwhile may or may not show.</summary>
    public Enumerator GetEnumerator() => new(Volatile.Read(ref _slots));

    /// <summary>Walks one version of the slot array.</summary>
    public struct Enumerator(Slot[] slots)
    {
        private int _index = -1;

        public GrainActivation Current { get; private set; } = null!;

        public bool MoveNext()
        {
            while (++_index < slots.Length)
            {
                if (Volatile.Read(ref slots[_index].Entry) is GrainActivation activation)
                {
                    Current = activation;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Drops every activation.</summary>
    public void Clear()
    {
        lock (_writeLock)
        {
            Volatile.Write(ref _slots, new Slot[MinimumCapacity]);
            _count = 0;
            _tombstones = 0;
        }
    }

    // Rebuilds into the smallest table the live entries (plus the one being added) fill at most half
    // of: a doubling when the table is full of live entries, the same size when tombstones filled it.
    private void Resize()
    {
        int capacity = MinimumCapacity;
        while (_count + 1 > capacity / 2)
        {
            capacity *= 2;
        }

        var slots = new Slot[capacity];
        int mask = capacity - 1;
        foreach (Slot slot in _slots)
        {
            if (slot.Entry is GrainActivation activation)
            {
                int i = (int)slot.Hash & mask;
                while (slots[i].Entry is not null)
                {
                    i = (i + 1) & mask;
                }

                slots[i] = slot;
            }
        }

        // Readers holding the old array may miss entries added from now on; they fall back to GetOrAdd.
        Volatile.Write(ref _slots, slots);
        _tombstones = 0;
    }

    /// <summary>One slot: null (never used), the tombstone, or an activation with its grain id's hash.</summary>
    internal struct Slot
    {
        public object? Entry;
        public uint Hash;
    }
}
