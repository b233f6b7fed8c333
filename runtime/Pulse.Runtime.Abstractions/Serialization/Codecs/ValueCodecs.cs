using System.Buffers.Binary;

namespace Pulse.Runtime.Serialization.Codecs;

// Fixed-layout value types. Every reader validates the decoded value before calling a BCL
// constructor, so corrupt input surfaces as PulseSerializationException rather than the
// ArgumentException those constructors throw.

/// <summary><see cref="decimal"/> as LengthPrefixed 16 bytes: its four 32-bit parts, little-endian.</summary>
internal sealed class DecimalCodec : IFieldCodec<decimal>
{
    public static readonly DecimalCodec Instance = new();

    // Flags word: bits 0-15 and 24-30 must be zero, the scale (bits 16-23) at most 28.
    private const int FlagsReservedMask = 0x7F00FFFF;
    private const int MaxScale = 28;

    public void WriteField(PulseWriter writer, uint fieldId, decimal value)
    {
        Span<int> parts = stackalloc int[4];
        decimal.GetBits(value, parts);
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteByte(16);
        Span<byte> span = writer.GetSpan(16);
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(i * 4), parts[i]);
        }

        writer.Advance(16);
    }

    public decimal ReadValue(PulseReader reader, WireType wireType)
    {
        ReadOnlySpan<byte> bytes = CodecHelpers.ReadFixedPayload<decimal>(reader, wireType, 16);
        Span<int> parts = stackalloc int[4];
        for (int i = 0; i < 4; i++)
        {
            parts[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(i * 4));
        }

        int flags = parts[3];
        if ((flags & FlagsReservedMask) != 0 || ((flags >> 16) & 0xFF) > MaxScale)
        {
            CodecHelpers.ThrowInvalid<decimal>("the flags word is not valid");
        }

        return new decimal(parts);
    }
}

/// <summary><see cref="Guid"/> as LengthPrefixed 16 bytes in <see cref="Guid.TryWriteBytes(Span{byte})"/> order.</summary>
internal sealed class GuidCodec : IFieldCodec<Guid>
{
    public static readonly GuidCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, Guid value)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteByte(16);
        value.TryWriteBytes(writer.GetSpan(16));
        writer.Advance(16);
    }

    public Guid ReadValue(PulseReader reader, WireType wireType) =>
        new(CodecHelpers.ReadFixedPayload<Guid>(reader, wireType, 16));
}

/// <summary><see cref="DateTime"/> as Fixed64 of <see cref="DateTime.ToBinary"/>, which keeps the kind.</summary>
internal sealed class DateTimeCodec : IFieldCodec<DateTime>
{
    public static readonly DateTimeCodec Instance = new();

    private const ulong LocalKindBit = 0x8000_0000_0000_0000;
    private const ulong TicksMask = 0x3FFF_FFFF_FFFF_FFFF;

    public void WriteField(PulseWriter writer, uint fieldId, DateTime value)
    {
        writer.WriteTag(fieldId, WireType.Fixed64);
        writer.WriteFixed64((ulong)value.ToBinary());
    }

    public DateTime ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<DateTime>(wireType, WireType.Fixed64);
        ulong data = reader.ReadFixed64();
        if ((data & LocalKindBit) == 0)
        {
            // Utc and Unspecified carry plain ticks; checking them here keeps FromBinary from throwing.
            if ((data & TicksMask) > (ulong)DateTime.MaxValue.Ticks)
            {
                CodecHelpers.ThrowOutOfRange<DateTime>(data & TicksMask);
            }

            return DateTime.FromBinary((long)data);
        }

        // Local times are converted through this machine's time zone, whose range checks are
        // internal to the BCL; corrupt input is rare enough that catching is the simple, exact test.
        try
        {
            return DateTime.FromBinary((long)data);
        }
        catch (ArgumentException ex)
        {
            throw new PulseSerializationException("A local DateTime field is out of range.", ex);
        }
    }
}

/// <summary>
/// <see cref="DateTimeOffset"/> as LengthPrefixed { VarInt clock ticks, zig-zag VarInt offset minutes }.
/// </summary>
internal sealed class DateTimeOffsetCodec : IFieldCodec<DateTimeOffset>
{
    public static readonly DateTimeOffsetCodec Instance = new();

    private const int MaxOffsetMinutes = 14 * 60;

    public void WriteField(PulseWriter writer, uint fieldId, DateTimeOffset value)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        writer.WriteVarUInt64((ulong)value.Ticks);
        writer.WriteVarInt32((int)(value.Offset.Ticks / TimeSpan.TicksPerMinute));
        writer.EndLengthPrefixed(token);
    }

    public DateTimeOffset ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<DateTimeOffset>(wireType, WireType.LengthPrefixed);
        int end = reader.EnterNested();
        ulong ticks = reader.ReadVarUInt64();
        int offsetMinutes = reader.ReadVarInt32();
        reader.ExitNested(end);
        if (ticks > (ulong)DateTime.MaxValue.Ticks || offsetMinutes is < -MaxOffsetMinutes or > MaxOffsetMinutes)
        {
            CodecHelpers.ThrowInvalid<DateTimeOffset>("ticks or offset out of range");
        }

        long offsetTicks = offsetMinutes * TimeSpan.TicksPerMinute;
        long utcTicks = (long)ticks - offsetTicks;
        if (utcTicks < 0 || utcTicks > DateTime.MaxValue.Ticks)
        {
            CodecHelpers.ThrowInvalid<DateTimeOffset>("the UTC time is out of range");
        }

        return new DateTimeOffset((long)ticks, new TimeSpan(offsetTicks));
    }
}

/// <summary><see cref="TimeSpan"/> as a zig-zag VarInt of its ticks.</summary>
internal sealed class TimeSpanCodec : IFieldCodec<TimeSpan>
{
    public static readonly TimeSpanCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, TimeSpan value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt64(value.Ticks);
    }

    public TimeSpan ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<TimeSpan>(wireType, WireType.VarInt);
        return new TimeSpan(reader.ReadVarInt64());
    }
}

/// <summary><see cref="DateOnly"/> as a VarInt of its day number.</summary>
internal sealed class DateOnlyCodec : IFieldCodec<DateOnly>
{
    public static readonly DateOnlyCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, DateOnly value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt32((uint)value.DayNumber);
    }

    public DateOnly ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<DateOnly>(wireType, WireType.VarInt);
        uint dayNumber = reader.ReadVarUInt32();
        if (dayNumber > (uint)DateOnly.MaxValue.DayNumber)
        {
            CodecHelpers.ThrowOutOfRange<DateOnly>(dayNumber);
        }

        return DateOnly.FromDayNumber((int)dayNumber);
    }
}

/// <summary><see cref="TimeOnly"/> as a VarInt of its ticks since midnight.</summary>
internal sealed class TimeOnlyCodec : IFieldCodec<TimeOnly>
{
    public static readonly TimeOnlyCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, TimeOnly value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64((ulong)value.Ticks);
    }

    public TimeOnly ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<TimeOnly>(wireType, WireType.VarInt);
        ulong ticks = reader.ReadVarUInt64();
        if (ticks >= TimeSpan.TicksPerDay)
        {
            CodecHelpers.ThrowOutOfRange<TimeOnly>(ticks);
        }

        return new TimeOnly((long)ticks);
    }
}
