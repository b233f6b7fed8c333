using System.Diagnostics;

namespace Pulse.Grains.Caching;

/// <summary>How a <see cref="CacheRecordHeap{TOrder}"/> orders records, and where a record keeps its position in it.</summary>
internal interface ICacheRecordOrder
{
    /// <summary>Compares two records; distinct records of one index never compare equal (the key breaks ties).</summary>
    static abstract int Compare(CacheIndexRecord x, CacheIndexRecord y);

    /// <summary>The record's position in the heap; -1 when not in it.</summary>
    static abstract int SlotOf(CacheIndexRecord record);

    /// <summary>Stores the record's position in the heap.</summary>
    static abstract void SetSlot(CacheIndexRecord record, int slot);
}

/// <summary>
/// A binary min-heap of <see cref="CacheIndexRecord"/>s in which every record knows its position, so
/// that any record is removed or re-placed after its order changed in O(log n), whatever the order of
/// the changes (late reads, re-registered entries). It costs one array slot per record, against a
/// 48-byte node per record in a <see cref="SortedSet{T}"/>.
/// </summary>
/// <typeparam name="TOrder">The order and the record's position field.</typeparam>
internal sealed class CacheRecordHeap<TOrder>
    where TOrder : struct, ICacheRecordOrder
{
    private const int MinCapacity = 16;

    private static readonly IComparer<CacheIndexRecord> Order = Comparer<CacheIndexRecord>.Create(TOrder.Compare);

    private CacheIndexRecord[] _items = [];

    /// <summary>Records in the heap.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a record that is in no heap of this order.</summary>
    public void Add(CacheIndexRecord record)
    {
        Debug.Assert(TOrder.SlotOf(record) == -1, "The record is in a heap of this order already.");
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(MinCapacity, _items.Length * 2));
        }

        SiftUp(record, Count++);
    }

    /// <summary>Removes a record of this heap.</summary>
    public void Remove(CacheIndexRecord record)
    {
        int slot = TOrder.SlotOf(record);
        Debug.Assert(slot >= 0 && _items[slot] == record, "The record is not in this heap.");
        TOrder.SetSlot(record, -1);
        int last = --Count;
        CacheIndexRecord moved = _items[last];
        _items[last] = null!;
        if (slot != last)
        {
            Place(moved, slot);
        }

        // Give memory back when a tenant's cache shrinks a lot; halving at a quarter keeps it amortized.
        if (_items.Length > MinCapacity && Count < _items.Length / 4)
        {
            Array.Resize(ref _items, _items.Length / 2);
        }
    }

    /// <summary>Moves a record of this heap to its place after the fields it is ordered by changed.</summary>
    public void Update(CacheIndexRecord record)
    {
        Debug.Assert(TOrder.SlotOf(record) >= 0 && _items[TOrder.SlotOf(record)] == record, "The record is not in this heap.");
        Place(record, TOrder.SlotOf(record));
    }

    /// <summary>
    /// The records in ascending order, found lazily: the first k cost O(k log k), so a caller that stops
    /// early (enough victims, a record not expired yet) pays for what it took. The heap must not change
    /// while the walk runs.
    /// </summary>
    public AscendingEnumerator Ascending() => new(this);

    private void Place(CacheIndexRecord record, int slot)
    {
        if (slot > 0 && TOrder.Compare(record, _items[(slot - 1) / 2]) < 0)
        {
            SiftUp(record, slot);
        }
        else
        {
            SiftDown(record, slot);
        }
    }

    private void SiftUp(CacheIndexRecord record, int slot)
    {
        while (slot > 0)
        {
            int parent = (slot - 1) / 2;
            CacheIndexRecord above = _items[parent];
            if (TOrder.Compare(record, above) >= 0)
            {
                break;
            }

            Put(above, slot);
            slot = parent;
        }

        Put(record, slot);
    }

    private void SiftDown(CacheIndexRecord record, int slot)
    {
        int count = Count;
        while (true)
        {
            int child = (2 * slot) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && TOrder.Compare(_items[child + 1], _items[child]) < 0)
            {
                child++;
            }

            CacheIndexRecord below = _items[child];
            if (TOrder.Compare(below, record) >= 0)
            {
                break;
            }

            Put(below, slot);
            slot = child;
        }

        Put(record, slot);
    }

    private void Put(CacheIndexRecord record, int slot)
    {
        _items[slot] = record;
        TOrder.SetSlot(record, slot);
    }

    /// <summary>Walks a heap in ascending order; see <see cref="Ascending"/>.</summary>
    public struct AscendingEnumerator
    {
        private readonly CacheRecordHeap<TOrder> _heap;

        // Best first: the next record is the least of the children of the records walked so far. Made
        // only if the walk goes past the root, as most walks (nothing expired, one victim) do not.
        private PriorityQueue<CacheIndexRecord, CacheIndexRecord>? _frontier;
        private CacheIndexRecord? _current;
        private bool _ended;

        internal AscendingEnumerator(CacheRecordHeap<TOrder> heap) => _heap = heap;

        /// <summary>The record reached.</summary>
        public readonly CacheIndexRecord Current => _current!;

        /// <summary>This walk, for <c>foreach</c>.</summary>
        public readonly AscendingEnumerator GetEnumerator() => this;

        /// <summary>Steps to the next record in order.</summary>
        public bool MoveNext()
        {
            CacheIndexRecord[] items = _heap._items;
            int count = _heap.Count;
            if (_ended)
            {
                return false;
            }

            if (_current is null)
            {
                _ended = count == 0;
                _current = _ended ? null : items[0];
                return !_ended;
            }

            _frontier ??= new PriorityQueue<CacheIndexRecord, CacheIndexRecord>(Order);
            int first = (2 * TOrder.SlotOf(_current)) + 1;
            for (int child = first; child < Math.Min(first + 2, count); child++)
            {
                _frontier.Enqueue(items[child], items[child]);
            }

            _ended = !_frontier.TryDequeue(out _current, out _);
            return !_ended;
        }
    }
}
