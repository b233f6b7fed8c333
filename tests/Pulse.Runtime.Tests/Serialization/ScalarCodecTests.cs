using System.Text;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Serialization;

public sealed class ScalarCodecTests
{
    public enum ByteEnum : byte { A = 1, Max = byte.MaxValue }

    public enum SignedLongEnum : long { Min = long.MinValue, MinusOne = -1, Max = long.MaxValue }

    public enum UnsignedLongEnum : ulong { Max = ulong.MaxValue }

    [Flags]
    public enum Permissions : short { Read = 1, Write = 2, Negative = -32768 }

    [Fact]
    public void IntegersRoundTripAtTheirLimits()
    {
        Assert.True(Wire.RoundTrip(true));
        Assert.False(Wire.RoundTrip(false));
        foreach (byte value in new[] { byte.MinValue, (byte)127, (byte)128, byte.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (sbyte value in new[] { sbyte.MinValue, (sbyte)-1, (sbyte)0, sbyte.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (short value in new[] { short.MinValue, (short)-1, (short)0, short.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (ushort value in new[] { ushort.MinValue, (ushort)300, ushort.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (int value in new[] { int.MinValue, -64, -1, 0, 63, 64, int.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (uint value in new[] { uint.MinValue, 127u, 128u, uint.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (long value in new[] { long.MinValue, -1L, 0L, long.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (ulong value in new[] { ulong.MinValue, 1UL << 63, ulong.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (char value in new[] { '\0', 'a', '\uD800', char.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }
    }

    [Fact]
    public void SmallSignedIntegersTakeOneBytePayloadThanksToZigZag()
    {
        Assert.Equal(2, Wire.Write(-1).Length);
        Assert.Equal(2, Wire.Write(63).Length);
    }

    [Fact]
    public void FloatingPointKeepsExactBitsIncludingNaNPayloadsAndNegativeZero()
    {
        double[] doubles = [double.NaN, BitConverter.UInt64BitsToDouble(0x7FF0_0000_0000_0001), -0.0, 0.0, double.Epsilon,
            double.MinValue, double.MaxValue, double.PositiveInfinity, double.NegativeInfinity, 0.1];
        foreach (double value in doubles)
        {
            Assert.Equal(BitConverter.DoubleToUInt64Bits(value), BitConverter.DoubleToUInt64Bits(Wire.RoundTrip(value)));
        }

        float[] floats = [float.NaN, -0.0f, float.Epsilon, float.MinValue, float.MaxValue, float.NegativeInfinity, 0.1f];
        foreach (float value in floats)
        {
            Assert.Equal(BitConverter.SingleToUInt32Bits(value), BitConverter.SingleToUInt32Bits(Wire.RoundTrip(value)));
        }
    }

    [Fact]
    public void DecimalsKeepValueSignAndScale()
    {
        decimal[] values = [decimal.MinValue, decimal.MaxValue, 0m, -0.000m, 1.0000m, 79228162514264337593543950335m / 3, -1.5m];
        foreach (decimal value in values)
        {
            Assert.Equal(decimal.GetBits(value), decimal.GetBits(Wire.RoundTrip(value)));
        }
    }

    [Fact]
    public void DecimalWithInvalidFlagsIsRejected()
    {
        byte[] payload = new byte[17];
        payload[0] = 16;
        payload[16] = 0x7F; // reserved flag bits set
        Assert.Throws<PulseSerializationException>(() => Wire.Read<decimal>(Wire.Field(0, WireType.LengthPrefixed, payload)));
    }

    [Fact]
    public void GuidsRoundTrip()
    {
        Guid guid = Guid.NewGuid();
        Assert.Equal(guid, Wire.RoundTrip(guid));
        Assert.Equal(Guid.Empty, Wire.RoundTrip(Guid.Empty));
        Assert.Equal(Guid.AllBitsSet, Wire.RoundTrip(Guid.AllBitsSet));
    }

    [Fact]
    public void GuidPayloadOfWrongLengthIsRejected() =>
        Assert.Throws<PulseSerializationException>(() => Wire.Read<Guid>(Wire.Field(0, WireType.LengthPrefixed, [15, .. new byte[15]])));

    [Fact]
    public void StringsRoundTripExactlyIncludingEmptyNullAndNonBmpCharacters()
    {
        string[] values = ["", "hello", "\0", "żółć", "emoji 😀 and 𝄞 outside the BMP", new string('x', 100_000)];
        foreach (string value in values)
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        Assert.Null(Wire.RoundTrip<string?>(null));
    }

    [Fact]
    public void InvalidUtf8InAStringIsRejected()
    {
        byte[] overlong = Wire.Field(0, WireType.LengthPrefixed, 2, 0xC0, 0xAF);
        byte[] loneContinuation = Wire.Field(0, WireType.LengthPrefixed, 1, 0x80);
        Assert.Throws<PulseSerializationException>(() => Wire.Read<string>(overlong));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<string>(loneContinuation));
    }

    [Fact]
    public void StringLengthRunningPastTheInputIsRejected() =>
        Assert.Throws<PulseSerializationException>(() => Wire.Read<string>(Wire.Field(0, WireType.LengthPrefixed, 50, (byte)'a')));

    [Fact]
    public void BytesRoundTripAsArraysAndReadOnlyMemory()
    {
        byte[] data = [0, 1, 2, 255];
        Assert.Equal(data, Wire.RoundTrip(data));
        Assert.Empty(Wire.RoundTrip(Array.Empty<byte>()));
        Assert.Null(Wire.RoundTrip<byte[]?>(null));
        Assert.Equal(data, Wire.RoundTrip(new ReadOnlyMemory<byte>(data)).ToArray());
        Assert.True(Wire.RoundTrip(ReadOnlyMemory<byte>.Empty).IsEmpty);
    }

    [Fact]
    public void DateAndTimeTypesRoundTripWithKindAndOffset()
    {
        DateTime utc = new(2024, 2, 29, 23, 59, 59, 999, DateTimeKind.Utc);
        DateTime local = new DateTime(2024, 7, 1, 12, 0, 0, DateTimeKind.Local).AddTicks(7);
        foreach (DateTime value in new[] { utc, local, DateTime.MinValue, DateTime.MaxValue, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Unspecified) })
        {
            DateTime copy = Wire.RoundTrip(value);
            Assert.Equal(value, copy);
            Assert.Equal(value.Kind, copy.Kind);
        }

        foreach (DateTimeOffset value in new[] { DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(330)), new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.FromHours(-14)) })
        {
            DateTimeOffset copy = Wire.RoundTrip(value);
            Assert.Equal(value.Ticks, copy.Ticks);
            Assert.Equal(value.Offset, copy.Offset);
        }

        foreach (TimeSpan value in new[] { TimeSpan.MinValue, TimeSpan.Zero, TimeSpan.FromTicks(-1), TimeSpan.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (DateOnly value in new[] { DateOnly.MinValue, new DateOnly(2024, 2, 29), DateOnly.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }

        foreach (TimeOnly value in new[] { TimeOnly.MinValue, new TimeOnly(13, 14, 15, 16), TimeOnly.MaxValue })
        {
            Assert.Equal(value, Wire.RoundTrip(value));
        }
    }

    [Fact]
    public void OutOfRangeDateAndTimeValuesAreRejected()
    {
        using PulseWriter writer = new();
        writer.WriteTag(0, WireType.Fixed64);
        writer.WriteFixed64((ulong)DateTime.MaxValue.Ticks + 1);
        Assert.Throws<PulseSerializationException>(() => Wire.Read<DateTime>(writer.ToArray()));

        writer.Reset();
        writer.WriteTag(0, WireType.VarInt);
        writer.WriteVarUInt64((ulong)TimeSpan.TicksPerDay);
        Assert.Throws<PulseSerializationException>(() => Wire.Read<TimeOnly>(writer.ToArray()));

        byte[] offsetTooLarge = Wire.Nested(0, w =>
        {
            w.WriteVarUInt64((ulong)DateTime.UnixEpoch.Ticks);
            w.WriteVarInt32(15 * 60);
        });
        Assert.Throws<PulseSerializationException>(() => Wire.Read<DateTimeOffset>(offsetTooLarge));
    }

    [Fact]
    public void EnumsRoundTripAsTheirUnderlyingIntegersIncludingUndefinedValues()
    {
        Assert.Equal(ByteEnum.Max, Wire.RoundTrip(ByteEnum.Max));
        Assert.Equal((ByteEnum)77, Wire.RoundTrip((ByteEnum)77));
        Assert.Equal(SignedLongEnum.Min, Wire.RoundTrip(SignedLongEnum.Min));
        Assert.Equal(SignedLongEnum.MinusOne, Wire.RoundTrip(SignedLongEnum.MinusOne));
        Assert.Equal(UnsignedLongEnum.Max, Wire.RoundTrip(UnsignedLongEnum.Max));
        Assert.Equal(Permissions.Read | Permissions.Write | Permissions.Negative, Wire.RoundTrip(Permissions.Read | Permissions.Write | Permissions.Negative));
        Assert.Equal(DayOfWeek.Saturday, Wire.RoundTrip(DayOfWeek.Saturday));
        Assert.Equal(Wire.Write(5), Wire.Write((DayOfWeek)5));
    }

    [Fact]
    public void ValuesTooLargeForTheDeclaredTypeAreRejected()
    {
        Assert.Throws<PulseSerializationException>(() => Wire.Read<byte>(Wire.Write(300u)));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<short>(Wire.Write(40_000)));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<bool>(Wire.Write(2u)));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<ByteEnum>(Wire.Write(256u)));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<Permissions>(Wire.Write(40_000)));
    }

    [Fact]
    public void NullablesRoundTripBothNullAndValues()
    {
        Assert.Null(Wire.RoundTrip<int?>(null));
        Assert.Equal(-5, Wire.RoundTrip<int?>(-5));
        Assert.Null(Wire.RoundTrip<Guid?>(null));
        Assert.Equal(DayOfWeek.Monday, Wire.RoundTrip<DayOfWeek?>(DayOfWeek.Monday));
        Assert.Equal(Wire.Write(42), Wire.Write<int?>(42));
    }

    [Fact]
    public void AFieldReadWithAnIncompatibleWireTypeIsRejected()
    {
        Assert.Throws<PulseSerializationException>(() => Wire.Read<string>(Wire.Write(1)));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<int>(Wire.Write("1")));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<double>(Wire.Write(1f)));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<int>(Wire.Write<string?>(null)));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<List<int>>(Wire.Write(1)));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(7)]
    public void UndefinedWireTypesAreRejected(int wireType)
    {
        PulseReader reader = new(new byte[] { (byte)((1 << 3) | wireType), 0 });
        Assert.Throws<PulseSerializationException>(() => reader.ReadTag(out _, out _));
    }

    [Fact]
    public void TruncatedAndOverlongVarIntsAreRejected()
    {
        Assert.Throws<PulseSerializationException>(() => Wire.Read<int>([0, 0x80]));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<long>([0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]));
    }

    [Fact]
    public void GrainIdentitiesRoundTrip()
    {
        GrainId id = GrainId.Create("ratelimiter", "tenant-1/limit/😀");
        Assert.Equal(id, Wire.RoundTrip(id));
        Assert.Equal(id.UniformHash, Wire.RoundTrip(id).UniformHash);
        Assert.True(Wire.RoundTrip(default(GrainId)).IsDefault);
        Assert.Equal(new GrainType("cache"), Wire.RoundTrip(new GrainType("cache")));
        Assert.True(Wire.RoundTrip(default(GrainType)).IsDefault);
    }

    [Fact]
    public void GrainIdWithAnEmptyKeyOrMissingTypeIsRejected()
    {
        byte[] emptyKey = Wire.Nested(0, w =>
        {
            w.WriteTag(0, WireType.LengthPrefixed);
            w.WriteStringPayload("t");
            w.WriteTag(1, WireType.LengthPrefixed);
            w.WriteStringPayload("");
        });
        byte[] missingType = Wire.Nested(0, w =>
        {
            w.WriteTag(1, WireType.LengthPrefixed);
            w.WriteStringPayload("key");
        });
        Assert.Throws<PulseSerializationException>(() => Wire.Read<GrainId>(emptyKey));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<GrainId>(missingType));
    }

    [Fact]
    public void NoResultIsAnEmptyPayloadAndAcceptsAnythingOnRead()
    {
        Assert.Equal([(byte)((7 << 3) | 2), 0], Wire.Write(default(NoResult)));
        Wire.Read<NoResult>(Wire.Write(12345));
        Wire.Read<NoResult>(Wire.Write("a newer version returns a value"));
    }

    [Fact]
    public void UnsupportedTypesAreReportedWithTheirName()
    {
        PulseSerializationException error = Assert.Throws<PulseSerializationException>(() => Codec<StringBuilder>.Instance);
        Assert.Contains(nameof(StringBuilder), error.Message);
    }
}
