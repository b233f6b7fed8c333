using Microsoft.CodeAnalysis;

namespace Pulse.Runtime.Generators;

/// <summary>
/// Every diagnostic the Pulse generator reports. Ids are stable: docs, suppressions and
/// AnalyzerReleases.Unshipped.md refer to them, so never renumber or reuse one.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Pulse.CodeGen";

    public static readonly DiagnosticDescriptor GenericGrainInterface = Error(
        "PULSE001",
        "Generic grain interfaces are not supported",
        "Grain interface '{0}' is generic; grain interfaces must not have type parameters");

    public static readonly DiagnosticDescriptor InvalidReturnType = Error(
        "PULSE002",
        "Grain method has an unsupported return type",
        "Grain method '{0}' returns '{1}'; grain methods must return Task, Task<T>, ValueTask or ValueTask<T>");

    public static readonly DiagnosticDescriptor OneWayWithResult = Error(
        "PULSE003",
        "One-way grain method returns a value",
        "Grain method '{0}' is [OneWay] but returns '{1}'; one-way methods must return Task or ValueTask");

    public static readonly DiagnosticDescriptor ByRefParameter = Error(
        "PULSE004",
        "Grain method has a by-reference parameter",
        "Parameter '{1}' of grain method '{0}' is passed by reference (ref, out, in); arguments cross process boundaries and must be passed by value");

    public static readonly DiagnosticDescriptor GenericGrainMethod = Error(
        "PULSE005",
        "Generic grain methods are not supported",
        "Grain method '{0}' is generic; grain methods must not have type parameters");

    public static readonly DiagnosticDescriptor PropertyOrEventOnGrainInterface = Error(
        "PULSE006",
        "Grain interfaces declare only methods",
        "Grain interface '{0}' declares the {1} '{2}'; grain interfaces may declare only methods returning tasks");

    public static readonly DiagnosticDescriptor MethodIdCollision = Error(
        "PULSE007",
        "Grain method ids collide",
        "Grain methods '{1}' and '{2}' of interface '{0}' have the same method id 0x{3}; rename one of them");

    public static readonly DiagnosticDescriptor GrainClassConstructor = Error(
        "PULSE008",
        "Grain class needs exactly one public constructor",
        "Grain class '{0}' has {1} public constructors; it needs exactly one so the runtime knows how to construct it");

    public static readonly DiagnosticDescriptor GenericSerializableType = Error(
        "PULSE009",
        "Generic [GenerateSerializer] types are not supported",
        "Type '{0}' is generic; [GenerateSerializer] supports only non-generic types");

    public static readonly DiagnosticDescriptor GenericGrainClass = Error(
        "PULSE010",
        "Generic grain classes are not supported",
        "Grain class '{0}' is generic; grain classes must not have type parameters");

    public static readonly DiagnosticDescriptor DuplicateMemberId = Error(
        "PULSE011",
        "Serialized members share an id",
        "Members '{1}' and '{2}' of '{0}' both use [Id({3})]; every member needs its own id");

    public static readonly DiagnosticDescriptor InaccessibleMember = Error(
        "PULSE012",
        "Serialized member is not accessible",
        "Member '{1}' of '{0}' carries [Id] but is not a readable public or internal member; generated code reads and writes members without reflection");

    public static readonly DiagnosticDescriptor MemberNotConstructible = Error(
        "PULSE013",
        "Serialized member cannot be set",
        "Member '{1}' of '{0}' carries [Id] but is neither settable nor a parameter of an accessible constructor whose parameters all match members by name");

    public static readonly DiagnosticDescriptor InaccessibleType = Error(
        "PULSE014",
        "Type is not accessible to generated code",
        "Type '{0}' must be public or internal (and nested only in public or internal types) for Pulse to generate code for it");

    public static readonly DiagnosticDescriptor InvalidGrainTypeAlias = Error(
        "PULSE015",
        "Grain type alias is empty",
        "Grain interface '{0}' has an empty [GrainType] alias");

    public static readonly DiagnosticDescriptor DuplicateGrainTypeAlias = Error(
        "PULSE016",
        "Grain type alias is used twice",
        "Grain interfaces '{1}' and '{2}' both use the grain type alias '{0}'; aliases identify grains and must be unique");

    public static readonly DiagnosticDescriptor NoUsableConstructor = Error(
        "PULSE017",
        "Serializable type has no usable constructor",
        "Type '{0}' needs a public or internal constructor that is parameterless or whose parameters all match [Id] members by name and type");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
