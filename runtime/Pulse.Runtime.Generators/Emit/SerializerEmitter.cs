using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Pulse.Runtime.Generators.Model;

namespace Pulse.Runtime.Generators.Emit;

/// <summary>
/// Emits the codec and deep copier of one [GenerateSerializer] type. An object is a length-prefixed
/// payload of tagged member fields, so readers skip ids they do not know and keep defaults for ids
/// that are missing: that is what lets two versions of a type talk to each other.
/// </summary>
internal static class SerializerEmitter
{
    private const string Serialization = "global::Pulse.Runtime.Serialization";

    public static string Emit(SerializerModel model, string generatedNamespace)
    {
        string type = model.FullName;
        CodeWriter w = CodeWriter.CreateFile();
        w.Open($"namespace {generatedNamespace}");
        w.Line($"/// <summary>Generated codec and copier of <see cref=\"{type}\"/>.</summary>");
        w.Line(Names.GeneratedCodeAttribute);
        w.Open($"internal sealed class {model.ContainerName} : {Serialization}.IFieldCodec<{type}>, {Serialization}.IDeepCopier<{type}>");
        w.Open("internal static void Register()");
        w.Line($"{model.ContainerName} serializer = new {model.ContainerName}();");
        w.Line($"{Serialization}.CodecRegistry.RegisterCodec<{type}>(serializer);");
        w.Line($"{Serialization}.CodecRegistry.RegisterCopier<{type}>(serializer);");
        w.Close();
        w.Line();
        EmitWrite(w, model);
        w.Line();
        EmitRead(w, model);
        w.Line();
        EmitCopy(w, model);
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static void EmitWrite(CodeWriter w, SerializerModel model)
    {
        w.Open($"public void WriteField({Serialization}.PulseWriter writer, uint fieldId, {model.FullName} value)");
        if (!model.IsValueType)
        {
            w.Open("if (value is null)");
            w.Line($"writer.WriteTag(fieldId, {Serialization}.WireType.Null);");
            w.Line("return;");
            w.Close();
            w.Line();
        }

        w.Line($"writer.WriteTag(fieldId, {Serialization}.WireType.LengthPrefixed);");
        w.Line("int token = writer.BeginLengthPrefixed();");
        foreach (SerializerMemberModel member in model.Members)
        {
            w.Line($"{Serialization}.Codec<{member.Type}>.Instance.WriteField(writer, {Id(member)}, value.{member.Name});");
        }

        w.Line("writer.EndLengthPrefixed(token);");
        w.Close();
    }

    private static void EmitRead(CodeWriter w, SerializerModel model)
    {
        w.Open($"public {model.FullName} ReadValue({Serialization}.PulseReader reader, {Serialization}.WireType wireType)");
        w.Open($"if (wireType == {Serialization}.WireType.Null)");
        w.Line(model.IsValueType
            ? $"throw new {Serialization}.PulseSerializationException({Names.Literal("A null value cannot be read into the struct " + model.DisplayName + ".")});"
            : "return null!;");
        w.Close();
        w.Line();
        w.Open($"if (wireType != {Serialization}.WireType.LengthPrefixed)");
        w.Line($"{Serialization}.PulseReader.ThrowUnexpectedWireType({Names.Literal(model.DisplayName)}, wireType);");
        w.Close();
        w.Line();
        w.Line("int end = reader.EnterNested();");
        foreach (SerializerMemberModel member in model.Members)
        {
            w.Line($"{member.Type} {Local(member)} = default!;");
            if (member.Assignment == MemberAssignment.Settable)
            {
                w.Line($"bool {Has(member)} = false;");
            }
        }

        w.Open("while (reader.Position < end)");
        w.Line($"reader.ReadTag(out uint __id, out {Serialization}.WireType __wireType);");
        w.Open("switch (__id)");
        foreach (SerializerMemberModel member in model.Members)
        {
            w.Line($"case {Id(member)}:");
            w.Line($"    {Local(member)} = {Serialization}.Codec<{member.Type}>.Instance.ReadValue(reader, __wireType);");
            if (member.Assignment == MemberAssignment.Settable)
            {
                w.Line($"    {Has(member)} = true;");
            }

            w.Line("    break;");
        }

        w.Line("default:");
        w.Line("    reader.SkipField(__wireType);");
        w.Line("    break;");
        w.Close();
        w.Close();
        w.Line();
        w.Line("reader.ExitNested(end);");
        EmitConstruction(w, model, Local);
        foreach (SerializerMemberModel member in model.Members.Where(m => m.Assignment == MemberAssignment.Settable))
        {
            // Only members present in the input are assigned, so field initializers survive for
            // members an older writer did not know.
            w.Open($"if ({Has(member)})");
            w.Line($"__result.{member.Name} = {Local(member)};");
            w.Close();
        }

        w.Line("return __result;");
        w.Close();
    }

    private static void EmitCopy(CodeWriter w, SerializerModel model)
    {
        if (model.IsImmutable)
        {
            w.Line("// Every member is read-only and immutable (or the type is [Immutable]): sharing is safe.");
            w.Line($"public {model.FullName} DeepCopy({model.FullName} value) => value;");
            return;
        }

        w.Open($"public {model.FullName} DeepCopy({model.FullName} value)");
        if (!model.IsValueType)
        {
            w.Open("if (value is null)");
            w.Line("return null!;");
            w.Close();
            w.Line();
        }

        EmitConstruction(w, model, CopyExpression);
        foreach (SerializerMemberModel member in model.Members.Where(m => m.Assignment == MemberAssignment.Settable))
        {
            w.Line($"__result.{member.Name} = {CopyExpression(member)};");
        }

        w.Line("return __result;");
        w.Close();
    }

    /// <summary>Declares <c>__result</c>: the chosen constructor, then an initializer for init-only and required members.</summary>
    private static void EmitConstruction(CodeWriter w, SerializerModel model, System.Func<SerializerMemberModel, string> value)
    {
        Dictionary<string, SerializerMemberModel> byName = model.Members.ToDictionary(m => m.Name);
        string arguments = string.Join(", ", model.ConstructorMembers.Select(name => value(byName[name])));
        List<SerializerMemberModel> initialized = model.Members.Where(m => m.Assignment == MemberAssignment.Initializer).ToList();
        if (initialized.Count == 0)
        {
            w.Line($"{model.FullName} __result = new {model.FullName}({arguments});");
            return;
        }

        w.Line($"{model.FullName} __result = new {model.FullName}({arguments})");
        w.Line("{");
        foreach (SerializerMemberModel member in initialized)
        {
            w.Line($"    {member.Name} = {value(member)},");
        }

        w.Line("};");
    }

    private static string CopyExpression(SerializerMemberModel member) =>
        member.IsImmutable ? $"value.{member.Name}" : $"{Serialization}.Copier<{member.Type}>.Copy(value.{member.Name})";

    private static string Id(SerializerMemberModel member) => member.Id.ToString(CultureInfo.InvariantCulture) + "u";

    private static string Local(SerializerMemberModel member) => "__m" + member.Id.ToString(CultureInfo.InvariantCulture);

    private static string Has(SerializerMemberModel member) => "__has" + member.Id.ToString(CultureInfo.InvariantCulture);
}
