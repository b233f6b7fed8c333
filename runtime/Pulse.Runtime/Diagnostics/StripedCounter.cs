using System.Runtime.InteropServices;

namespace Pulse.Runtime.Diagnostics;

/// <summary>
/// A counter incremented on hot paths from many threads: one padded cell per core slot, so cores
/// don't fight over one cache line; reads sum the cells.
/// </summary>
internal sealed class StripedCounter
{
    private readonly Cell[] _cells = new Cell[Math.Max(1, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount))];

    public void Increment()
    {
        int index = Thread.GetCurrentProcessorId() & (_cells.Length - 1);
        Interlocked.Increment(ref _cells[index].Value);
    }

    public long Sum()
    {
        long total = 0;
        for (int i = 0; i < _cells.Length; i++)
        {
            total += Volatile.Read(ref _cells[i].Value);
        }

        return total;
    }

    // 64 bytes on each side of the value keeps neighbouring cells off its cache line.
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Cell
    {
        [FieldOffset(64)]
        public long Value;
    }
}
