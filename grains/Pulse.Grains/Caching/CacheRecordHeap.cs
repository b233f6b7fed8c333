using System.Diagnostics;

namespace Pulse.Grains.Caching;

/// <summary>
/// How a <see cref="CacheRecordHeap{TOrder}"/> orders records, by a time and then by key (ordinal, so
/// distinct records of one index never tie), and where a record keeps its position in the heap.
/// </summary>
internal interface ICacheRecordOrder
{
    /// <summary>The time the record is ordered by.</summary>
    static abstract long TimeOf(CacheIndexRecord record);

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

    private static int Compare(CacheIndexRecord x, CacheIndexRecord y)
    {
        int c = TOrder.TimeOf(x).CompareTo(TOrder.TimeOf(y));
        return c != 0 ? c : string.CompareOrdinal(x.Key, y.Key);
    }

    private void Place(CacheIndexRecord record, int slot)
    {
        if (slot > 0 && Compare(record, _items[(slot - 1) / 2]) < 0)
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
            if (Compare(record, above) >= 0)
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

            if (child + 1 < count && Compare(_items[child + 1], _items[child]) < 0)
            {
                child++;
            }

            CacheIndexRecord below = _items[child];
            if (Compare(below, record) >= 0)
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

        // Best first: the next record is the least of the children of the records walked so far, so
        // those children wait in a second binary heap, of positions in the first with their times
        // copied beside them: most comparisons then read this array and not the records. Made only if
        // the walk goes past the root, as most walks (nothing expired, one victim) do not.
        private Pending[]? _frontier;
        private int _frontierCount;
        private int _slot;
        private bool _ended;

        internal AscendingEnumerator(CacheRecordHeap<TOrder> heap)
        {
            _heap = heap;
            _slot = -1;
        }

        /// <summary>The record reached.</summary>
        public readonly CacheIndexRecord Current => _heap._items[_slot];

        /// <summary>This walk, for <c>foreach</c>.</summary>
        public readonly AscendingEnumerator GetEnumerator() => this;

        /// <summary>Steps to the next record in order.</summary>
        public bool MoveNext()
        {
            if (_ended)
            {
                return false;
            }

            int count = _heap.Count;
            if (_slot < 0)
            {
                _ended = count == 0;
                _slot = 0;
                return !_ended;
            }

            int child = (2 * _slot) + 1;
            if (child < count)
            {
                Push(child);
                if (child + 1 < count)
                {
                    Push(child + 1);
                }
            }

            _ended = _frontierCount == 0;
            if (!_ended)
            {
                _slot = Pop();
            }

            return !_ended;
        }

        private readonly bool Less(in Pending x, in Pending y) =>
            x.Time != y.Time ? x.Time < y.Time : string.CompareOrdinal(_heap._items[x.Slot].Key, _heap._items[y.Slot].Key) < 0;

        private void Push(int slot)
        {
            _frontier ??= new Pending[16];
            if (_frontierCount == _frontier.Length)
            {
                Array.Resize(ref _frontier, _frontier.Length * 2);
            }

            var pending = new Pending(TOrder.TimeOf(_heap._items[slot]), slot);
            int i = _frontierCount++;
            while (i > 0 && Less(pending, _frontier[(i - 1) / 2]))
            {
                _frontier[i] = _frontier[(i - 1) / 2];
                i = (i - 1) / 2;
            }

            _frontier[i] = pending;
        }

        private int Pop()
        {
            Pending[] frontier = _frontier!;
            int least = frontier[0].Slot;
            Pending last = frontier[--_frontierCount];
            int i = 0;
            while (true)
            {
                int child = (2 * i) + 1;
                if (child >= _frontierCount)
                {
                    break;
                }

                if (child + 1 < _frontierCount && Less(frontier[child + 1], frontier[child]))
                {
                    child++;
                }

                if (!Less(frontier[child], last))
                {
                    break;
                }

                frontier[i] = frontier[child];
                i = child;
            }

            frontier[i] = last;
            return least;
        }
    }

    private readonly record struct Pending(long Time, int Slot);
}
