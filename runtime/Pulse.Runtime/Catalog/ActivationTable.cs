using System.Diagnostics.CodeAnalysis;

namespace Pulse.Runtime.Catalog;

/// <summary>
/// The activations of a silo by grain id: an open-addressing hash table of activation references
/// with lock-free lookups and locked writes.
/// </summary>
/// <remarks>
/// A <c>ConcurrentDictionary&lt;GrainId, GrainActivation&gt;</c> costs a 64-byte node per activation
/// (plus its bucket), which copies the grain id the activation already holds; with one activation per
/// cache entry that was a tenth of an entry's memory. Here a slot is one reference, and the key is read
/// from the activation itself.
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
    private object?[] _slots = new object?[MinimumCapacity];
    private int _count;
    private int _tombstones;

    /// <summary>Live activations.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Finds the activation of <paramref name="grainId"/>; lock-free.</summary>
    public bool TryGetValue(GrainId grainId, [MaybeNullWhen(false)] out GrainActivation activation)
    {
        object?[] slots = Volatile.Read(ref _slots);
        int mask = slots.Length - 1;
        uint hash = grainId.UniformHash;
        for (int i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            object? slot = Volatile.Read(ref slots[i]);
            if (slot is null)
            {
                activation = null;
                return false;
            }

            if (slot is GrainActivation candidate && candidate.GrainId.UniformHash == hash && candidate.GrainId.Equals(grainId))
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

            object?[] slots = _slots;
            int mask = slots.Length - 1;
            int i = (int)created.GrainId.UniformHash & mask;
            while (slots[i] is GrainActivation)
            {
                i = (i + 1) & mask;
            }

            if (ReferenceEquals(slots[i], Tombstone))
            {
                _tombstones--;
            }

            // Release: a reader that sees the reference sees the constructed activation.
            Volatile.Write(ref slots[i], created);
            _count++;
            return created;
        }
    }

    /// <summary>Removes <paramref name="activation"/> if it is still the one registered for its grain.</summary>
    public bool TryRemove(GrainActivation activation)
    {
        lock (_writeLock)
        {
            object?[] slots = _slots;
            int mask = slots.Length - 1;
            for (int i = (int)activation.GrainId.UniformHash & mask; slots[i] is not null; i = (i + 1) & mask)
            {
                if (ReferenceEquals(slots[i], activation))
                {
                    Volatile.Write(ref slots[i], Tombstone);
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
    public struct Enumerator(object?[] slots)
    {
        private int _index = -1;

        public GrainActivation Current { get; private set; } = null!;

        public bool MoveNext()
        {
            while (++_index < slots.Length)
            {
                if (Volatile.Read(ref slots[_index]) is GrainActivation activation)
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
            Volatile.Write(ref _slots, new object?[MinimumCapacity]);
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

        var slots = new object?[capacity];
        int mask = capacity - 1;
        foreach (object? slot in _slots)
        {
            if (slot is GrainActivation activation)
            {
                int i = (int)activation.GrainId.UniformHash & mask;
                while (slots[i] is not null)
                {
                    i = (i + 1) & mask;
                }

                slots[i] = activation;
            }
        }

        // Readers holding the old array may miss entries added from now on; they fall back to GetOrAdd.
        Volatile.Write(ref _slots, slots);
        _tombstones = 0;
    }
}
