using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Generators;

public sealed class GeneratedSerializerTests
{
    private static byte[] Write<T>(T value)
    {
        using PulseWriter writer = new();
        Codec<T>.Instance.WriteField(writer, 1, value);
        return writer.ToArray();
    }

    private static T Read<T>(byte[] bytes)
    {
        PulseReader reader = new(bytes);
        reader.ReadTag(out uint fieldId, out WireType wireType);
        Assert.Equal(1u, fieldId);
        T value = Codec<T>.Instance.ReadValue(reader, wireType);
        Assert.True(reader.IsAtEnd);
        return value;
    }

    private static T RoundTrip<T>(T value) => Read<T>(Write(value));

    [Fact]
    public void RecordWithNestedClassRoundTrips()
    {
        PersonRecord person = new("Ada", 36, new AddressClass { Street = "Main", Lines = new() { "a", "b" } });

        PersonRecord copy = RoundTrip(person);

        Assert.Equal(("Ada", 36), (copy.Name, copy.Age));
        Assert.Equal("Main", copy.Address!.Street);
        Assert.Equal(new[] { "a", "b" }, copy.Address.Lines);
    }

    [Fact]
    public void NullReferenceMembersAndValuesRoundTripAsNull()
    {
        Assert.Null(RoundTrip(new PersonRecord("Bob", 1, null)).Address);
        Assert.Null(RoundTrip<PersonRecord?>(null));
    }

    [Fact]
    public void StructWithNestedRecordRoundTrips()
    {
        PointStruct point = new() { X = -3, Y = 4, Tag = new TagRecord("t", new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2))) };

        PointStruct copy = RoundTrip(point);

        Assert.Equal((-3, 4), (copy.X, copy.Y));
        Assert.Equal(point.Tag, copy.Tag);
    }

    [Fact]
    public void ReadingNullIntoAStructFails()
    {
        using PulseWriter writer = new();
        writer.WriteTag(1, WireType.Null);

        Assert.Throws<PulseSerializationException>(() => Read<PointStruct>(writer.ToArray()));
    }

    [Fact]
    public void MembersOfGenerateSerializerBaseClassesRoundTripWithDerivedOnes()
    {
        DerivedEvent copy = RoundTrip(new DerivedEvent { Source = "api", Code = 42 });

        Assert.Equal(("api", 42), (copy.Source, copy.Code));
    }

    [Fact]
    public void NewerVersionReadsOlderDataAndKeepsTheDefaultOfTheMissingMember()
    {
        OrderV2 order = Read<OrderV2>(Write(new OrderV1 { Id = "o-1", Quantity = 3 }));

        Assert.Equal(("o-1", 3, "none"), (order.Id, order.Quantity, order.Note));
    }

    [Fact]
    public void OlderVersionSkipsTheMemberItDoesNotKnow()
    {
        OrderV1 order = Read<OrderV1>(Write(new OrderV2 { Id = "o-2", Quantity = 5, Note = "gift wrap" }));

        Assert.Equal(("o-2", 5), (order.Id, order.Quantity));
    }

    [Fact]
    public void CopierOfAMutableClassCopiesNestedCollections()
    {
        AddressClass address = new() { Street = "Main", Lines = new() { "a" } };

        AddressClass copy = Copier<AddressClass>.Copy(address);

        Assert.NotSame(address, copy);
        Assert.NotSame(address.Lines, copy.Lines);
        Assert.Equal(address.Lines, copy.Lines);
        Assert.Same(address.Street, copy.Street);
    }

    [Fact]
    public void CopierOfARecordWithAMutableMemberCopiesThatMember()
    {
        PersonRecord person = new("Ada", 36, new AddressClass { Street = "Main" });

        PersonRecord copy = Copier<PersonRecord>.Copy(person);

        Assert.NotSame(person, copy);
        Assert.NotSame(person.Address, copy.Address);
        Assert.Equal("Main", copy.Address!.Street);
    }

    [Fact]
    public void CopierReturnsProvablyImmutableRecordsAsTheyAre()
    {
        TagRecord tag = new("t", DateTimeOffset.UnixEpoch);

        Assert.Same(tag, Copier<TagRecord>.Copy(tag));
    }

    [Fact]
    public void CopierKeepsNullAsNull()
    {
        Assert.Null(Copier<AddressClass?>.Copy(null));
    }
}
