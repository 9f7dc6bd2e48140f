// The lab's state in memory: what lets a command cost the same in an organisation of 10 databases
// and of 2,000 (ExchangeLab.State.ps1 drives it).
// - StateBytes: the state file's bytes, compared with the bytes this process last read or wrote,
//   so an unchanged file is never parsed again (any change, by anyone, is other bytes).
// - StateJson: the state's JSON writer (the format ConvertTo-Json writes in PowerShell 7, without
//   its per-call cost), and a deep copy of parsed objects.
// - StateCache: per module instance, the parsed state of one file. The sections that grow with
//   the organisation (ElementSections) are shared by every command and written element by
//   element: the elements a writer marked as changed, and new ones, are serialized; the others are
//   copied from the file's previous bytes (one block copy when none moved). Everything else is
//   small: each command gets its own copy, so what a reader changes in it never reaches the file.
//   Small states check every write against a full serialization, so a writer that changes an
//   element without marking it fails the lab's tests.
// Kept to C# 5 syntax: Windows PowerShell 5.1 compiles it with the old CodeDom compiler.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;

namespace ExchangeLab
{
    public static class StateBytes
    {
        // The whole file; `known` itself when the file holds exactly known[0..knownLength); null
        // when it does not exist. Retries while a writer renames over it (Windows).
        public static byte[] Read(string path, byte[] known, int knownLength)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    using (FileStream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan))
                    {
                        return ReadStream(stream, known, knownLength);
                    }
                }
                catch (FileNotFoundException) { return null; }
                catch (DirectoryNotFoundException) { return null; }
                catch (IOException) { if (attempt >= 50) throw; Thread.Sleep(20); }
                catch (UnauthorizedAccessException) { if (attempt >= 50) throw; Thread.Sleep(20); }
            }
        }

        [ThreadStatic] private static byte[] chunk;

        private static byte[] ReadStream(FileStream stream, byte[] known, int knownLength)
        {
            if (known != null && stream.Length == knownLength)
            {
                // Compare as it reads: an unchanged file costs one pass and no allocation.
                if (chunk == null) chunk = new byte[1 << 16];
                int offset = 0;
                while (offset < knownLength)
                {
                    int n = stream.Read(chunk, 0, Math.Min(chunk.Length, knownLength - offset));
                    if (n <= 0) break;
                    if (!Same(chunk, known, offset, n))
                    {
                        byte[] fresh = new byte[knownLength];
                        Buffer.BlockCopy(known, 0, fresh, 0, offset);
                        Buffer.BlockCopy(chunk, 0, fresh, offset, n);
                        return ReadRest(stream, fresh, offset + n);
                    }
                    offset += n;
                }
                if (offset == knownLength && stream.ReadByte() < 0) return known;
                // Shorter or longer than its length said (rewritten in place while read): read it again.
                stream.Position = 0;
            }
            return ReadRest(stream, new byte[Math.Max(0, (int)stream.Length)], 0);
        }

        private static byte[] ReadRest(FileStream stream, byte[] buffer, int offset)
        {
            while (true)
            {
                if (offset == buffer.Length)
                {
                    int next = stream.ReadByte();
                    if (next < 0) return buffer;
                    System.Array.Resize(ref buffer, Math.Max(buffer.Length * 2, 4096));
                    buffer[offset++] = (byte)next;
                }
                int n = stream.Read(buffer, offset, buffer.Length - offset);
                if (n <= 0)
                {
                    if (offset != buffer.Length) System.Array.Resize(ref buffer, offset);
                    return buffer;
                }
                offset += n;
            }
        }

        // chunk[0..n) == known[offset..offset+n): vectorized on PowerShell 7 (EXCHANGELAB_CORE is
        // defined when it compiles this), eight bytes at a time on Windows PowerShell.
        private static bool Same(byte[] chunk, byte[] known, int offset, int n)
        {
#if EXCHANGELAB_CORE
            return new ReadOnlySpan<byte>(chunk, 0, n).SequenceEqual(new ReadOnlySpan<byte>(known, offset, n));
#else
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                if (BitConverter.ToInt64(chunk, i) != BitConverter.ToInt64(known, offset + i)) return false;
            }
            for (; i < n; i++)
            {
                if (chunk[i] != known[offset + i]) return false;
            }
            return true;
#endif
        }

        // The text as StreamReader reads a file: UTF-8 unless a byte order mark says otherwise.
        public static string Decode(byte[] bytes)
        {
            using (StreamReader reader = new StreamReader(new MemoryStream(bytes, false), new UTF8Encoding(false), true))
            {
                return reader.ReadToEnd();
            }
        }
    }

    // Object identity, whatever Equals says (PSObject.Equals compares base objects, and every
    // PSCustomObject has the same one).
    public sealed class ReferenceComparer : IEqualityComparer<object>
    {
        public static readonly ReferenceComparer Instance = new ReferenceComparer();
        public new bool Equals(object x, object y) { return ReferenceEquals(x, y); }
        public int GetHashCode(object obj) { return RuntimeHelpers.GetHashCode(obj); }
    }

    // UTF-8 JSON into a growable buffer.
    public sealed class JsonBuffer
    {
        private byte[] bytes = new byte[4096];
        private int length;

        public int Length { get { return length; } }

        // The bytes written so far are Array[0..Length).
        public byte[] Array { get { return bytes; } }

        public void Clear() { length = 0; }

        public byte[] ToArray()
        {
            byte[] copy = new byte[length];
            Buffer.BlockCopy(bytes, 0, copy, 0, length);
            return copy;
        }

        public byte[] Slice(int start)
        {
            byte[] copy = new byte[length - start];
            Buffer.BlockCopy(bytes, start, copy, 0, copy.Length);
            return copy;
        }

        private void Room(int more)
        {
            if (length + more <= bytes.Length) return;
            int size = bytes.Length * 2;
            while (size < length + more) size *= 2;
            System.Array.Resize(ref bytes, size);
        }

        public void Bytes(byte[] data)
        {
            Bytes(data, 0, data.Length);
        }

        public void Bytes(byte[] data, int offset, int count)
        {
            Room(count);
            Buffer.BlockCopy(data, offset, bytes, length, count);
            length += count;
        }

        public void Byte(byte b)
        {
            Room(1);
            bytes[length++] = b;
        }

        // Text that needs no escaping (punctuation, numbers, literals).
        public void Ascii(string text)
        {
            Room(text.Length);
            for (int i = 0; i < text.Length; i++) bytes[length++] = (byte)text[i];
        }

        public void Indent(int level)
        {
            Room(1 + 2 * level);
            bytes[length++] = (byte)'\n';
            for (int i = 0; i < 2 * level; i++) bytes[length++] = (byte)' ';
        }

        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        // A JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
        public void String(string text)
        {
            Room(text.Length + 2);
            bytes[length++] = (byte)'"';
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
                {
                    Room(1);
                    bytes[length++] = (byte)c;
                    i++;
                    continue;
                }
                if (c < 0x80)
                {
                    switch (c)
                    {
                        case '"': Ascii("\\\""); break;
                        case '\\': Ascii("\\\\"); break;
                        case '\n': Ascii("\\n"); break;
                        case '\r': Ascii("\\r"); break;
                        case '\t': Ascii("\\t"); break;
                        case '\b': Ascii("\\b"); break;
                        case '\f': Ascii("\\f"); break;
                        default: Ascii("\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                    }
                    i++;
                    continue;
                }
                // A run of non-ASCII characters, encoded as UTF-8 (a lone surrogate becomes U+FFFD, as Encoding.UTF8 does).
                int start = i;
                while (i < text.Length && text[i] >= 0x80) i++;
                int count = Utf8.GetByteCount(text.ToCharArray(start, i - start));
                Room(count);
                length += Utf8.GetBytes(text, start, i - start, bytes, length);
            }
            Room(1);
            bytes[length++] = (byte)'"';
        }
    }

    public static class StateJson
    {
        // The JSON of a value, indented by two spaces as ConvertTo-Json in PowerShell 7 writes it.
        // Throws NotSupportedException for a value it has no JSON form for (the caller then writes
        // with ConvertTo-Json, as before).
        public static void Write(JsonBuffer json, object value, int level)
        {
            if (level > 64) throw new NotSupportedException("The lab state is nested more than 64 levels deep.");
            PSObject wrapped = value as PSObject;
            if (wrapped != null)
            {
                if (wrapped.BaseObject is PSCustomObject) { WriteObject(json, wrapped, level); return; }
                value = wrapped.BaseObject;
            }
            if (value == null) { json.Ascii("null"); return; }
            string text = value as string;
            if (text != null) { json.String(text); return; }
            if (value is bool) { json.Ascii((bool)value ? "true" : "false"); return; }
            if (value is char) { json.String(value.ToString()); return; }
            if (value is Guid) { json.String(((Guid)value).ToString("D")); return; }
            if (value is Enum) { json.Ascii(Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)); return; }
            if (value is int || value is long || value is short || value is sbyte || value is byte || value is ushort || value is uint || value is ulong)
            {
                json.Ascii(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                return;
            }
            if (value is double || value is float)
            {
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(d) || double.IsInfinity(d)) throw new NotSupportedException("The lab state holds a number JSON cannot write: " + d.ToString(CultureInfo.InvariantCulture));
                string r = d.ToString("R", CultureInfo.InvariantCulture);
                // A whole double keeps a fraction, so that it is read back as a double.
                if (r.IndexOfAny(new[] { '.', 'E', 'e' }) < 0) r += ".0";
                json.Ascii(r);
                return;
            }
            if (value is decimal) { json.Ascii(((decimal)value).ToString(CultureInfo.InvariantCulture)); return; }
            IDictionary dictionary = value as IDictionary;
            if (dictionary != null) { WriteDictionary(json, dictionary, level); return; }
            IEnumerable list = value as IEnumerable;
            if (list != null) { WriteArray(json, list, level); return; }
            throw new NotSupportedException("The lab state holds a value of type " + value.GetType().FullName + ", which the lab's JSON writer does not know.");
        }

        private static void WriteObject(JsonBuffer json, PSObject obj, int level)
        {
            bool any = false;
            json.Byte((byte)'{');
            foreach (PSPropertyInfo property in obj.Properties)
            {
                if (!property.IsGettable) continue;
                json.Ascii(any ? "," : "");
                json.Indent(level + 1);
                json.String(property.Name);
                json.Ascii(": ");
                Write(json, property.Value, level + 1);
                any = true;
            }
            if (any) json.Indent(level);
            json.Byte((byte)'}');
        }

        private static void WriteDictionary(JsonBuffer json, IDictionary dictionary, int level)
        {
            bool any = false;
            json.Byte((byte)'{');
            foreach (DictionaryEntry entry in dictionary)
            {
                json.Ascii(any ? "," : "");
                json.Indent(level + 1);
                json.String(Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                json.Ascii(": ");
                Write(json, entry.Value, level + 1);
                any = true;
            }
            if (any) json.Indent(level);
            json.Byte((byte)'}');
        }

        private static void WriteArray(JsonBuffer json, IEnumerable list, int level)
        {
            bool any = false;
            json.Byte((byte)'[');
            foreach (object item in list)
            {
                json.Ascii(any ? "," : "");
                json.Indent(level + 1);
                Write(json, item, level + 1);
                any = true;
            }
            if (any) json.Indent(level);
            json.Byte((byte)']');
        }

        public static byte[] Serialize(object value)
        {
            JsonBuffer json = new JsonBuffer();
            Write(json, value, 0);
            return json.ToArray();
        }

        // A deep copy of parsed JSON (custom objects and arrays copied; strings and numbers shared).
        public static object Copy(object value)
        {
            PSObject wrapped = value as PSObject;
            if (wrapped != null && wrapped.BaseObject is PSCustomObject)
            {
                PSObject copy = new PSObject();
                foreach (PSPropertyInfo property in wrapped.Properties)
                {
                    if (!property.IsGettable) continue;
                    copy.Properties.Add(new PSNoteProperty(property.Name, Copy(property.Value)));
                }
                return copy;
            }
            object[] array = value as object[];
            if (array != null)
            {
                object[] copy = new object[array.Length];
                for (int i = 0; i < array.Length; i++) copy[i] = Copy(array[i]);
                return copy;
            }
            return value;
        }

        // Gives `target` exactly the properties of `source`, in its order (keeps target's identity).
        public static void Refill(PSObject target, PSObject source)
        {
            List<string> names = new List<string>();
            foreach (PSPropertyInfo property in target.Properties) names.Add(property.Name);
            foreach (string name in names) target.Properties.Remove(name);
            foreach (PSPropertyInfo property in source.Properties)
            {
                target.Properties.Add(new PSNoteProperty(property.Name, property.Value));
            }
        }
    }

    // What one write produced: the small part's text (parsed again, it becomes the next commands'
    // copy) and the elements serialized again with their text (parsed again, they refill the
    // shared objects, so that every command sees exactly what a parse of the file gives).
    public sealed class StateWrite
    {
        public string SmallText;
        public List<PSObject> Elements = new List<PSObject>();
        public List<string> Texts = new List<string>();
        // How many elements were serialized (the others were copied from the file as it was).
        public int Serialized;
        internal JsonBuffer File;
        internal Dictionary<string, StateSection> Sections = new Dictionary<string, StateSection>();
    }

    // An element section as a file holds it: its list, its elements when written or parsed, and
    // each element's text: where it lies in the file's bytes (Starts/Ends), or its own bytes
    // (Texts, made at once for a small parsed state), or neither (a state just parsed).
    public sealed class StateSection
    {
        public object List;
        public object[] Elements;
        public int[] Starts;
        public int[] Ends;
        public byte[][] Texts;

        public StateSection(IList list)
        {
            List = list;
            Elements = new object[list.Count];
            list.CopyTo(Elements, 0);
        }

        public bool Holds(IList list)
        {
            if (!ReferenceEquals(list, List) || list.Count != Elements.Length) return false;
            for (int i = 0; i < Elements.Length; i++)
            {
                if (!ReferenceEquals(list[i], Elements[i])) return false;
            }
            return true;
        }
    }

    public sealed class StateCache
    {
        // The sections that grow with the organisation, shared by commands and written per element.
        // A writer that changes one of their elements in place must mark it (Set-LabChanged).
        public static readonly string[] ElementSections = new[] { "mailboxDatabases", "mailboxes" };

        // Up to this many elements in those sections, every write is checked against a full
        // serialization, and so is every update that commits nothing.
        public const int VerifyUpTo = 64;

        private string path;
        // The file's bytes as this process last read or wrote them: known[0..knownLength).
        private byte[] known;
        private int knownLength;
        // The state without the element sections (their properties present, valued null), as parsed.
        private PSObject template;
        // The element sections, by name.
        private Dictionary<string, StateSection> sections = new Dictionary<string, StateSection>();
        // Identity index of one section's list: lower-case Name and ExchangeLegacyDN, Guid ("D").
        private object indexed;
        private Dictionary<string, List<object>> index;
        // The buffers the file is composed in (kept: a state of megabytes is not reallocated per write).
        private JsonBuffer current = new JsonBuffer();
        private JsonBuffer spare = new JsonBuffer();
        private readonly JsonBuffer small = new JsonBuffer();

        // For tests: how many times this cache took a parsed state (each parse of a changed file), and
        // how many elements the last write serialized (the others were copied as they were).
        public int Loads { get; private set; }
        public int LastSerialized { get; private set; }

        // The file's bytes: the very array this cache holds when they are those it last read or
        // wrote (see Holds), a new one when they changed, null when the file does not exist.
        public byte[] ReadFile(string statePath)
        {
            bool mine = string.Equals(statePath, path, StringComparison.Ordinal);
            return StateBytes.Read(statePath, mine ? known : null, mine ? knownLength : 0);
        }

        public bool Holds(string statePath, byte[] fileBytes)
        {
            return known != null && ReferenceEquals(fileBytes, known) && string.Equals(statePath, path, StringComparison.Ordinal);
        }

        public void Forget()
        {
            path = null;
            known = null;
            knownLength = 0;
            template = null;
            sections = new Dictionary<string, StateSection>();
            indexed = null;
            index = null;
        }

        private static bool IsElementSection(string name)
        {
            return System.Array.IndexOf(ElementSections, name) >= 0;
        }

        private static object Unwrap(object value)
        {
            PSObject wrapped = value as PSObject;
            if (wrapped != null && !(wrapped.BaseObject is PSCustomObject)) return wrapped.BaseObject;
            return value;
        }

        // The element list a section's value is, or null when it is not a list.
        private static IList AsSection(string name, object value)
        {
            if (!IsElementSection(name)) return null;
            object unwrapped = Unwrap(value);
            if (unwrapped is string) return null;
            return unwrapped as IList;
        }

        private static bool IsCustom(object element)
        {
            PSObject custom = element as PSObject;
            return custom != null && custom.BaseObject is PSCustomObject;
        }

        private static byte[] ElementText(object element)
        {
            JsonBuffer json = new JsonBuffer();
            StateJson.Write(json, element, 2);
            return json.Slice(0);
        }

        // A freshly parsed state becomes the cache's (the caller may go on using `state`).
        public void Load(string statePath, byte[] fileBytes, PSObject state)
        {
            Forget();
            Loads++;
            PSObject next = new PSObject();
            int count = 0;
            foreach (PSPropertyInfo property in state.Properties)
            {
                IList list = AsSection(property.Name, property.Value);
                if (list != null)
                {
                    sections[property.Name] = new StateSection(list);
                    count += list.Count;
                }
                next.Properties.Add(new PSNoteProperty(property.Name, list != null ? null : StateJson.Copy(property.Value)));
            }
            template = next;
            path = statePath;
            known = fileBytes;
            knownLength = fileBytes.Length;
            if (count > VerifyUpTo) return;
            foreach (StateSection section in sections.Values)
            {
                section.Texts = new byte[section.Elements.Length][];
                for (int i = 0; i < section.Elements.Length; i++)
                {
                    if (IsCustom(section.Elements[i])) section.Texts[i] = ElementText(section.Elements[i]);
                }
            }
        }

        // The state for one command: its own copy of the small part, the shared element sections.
        public PSObject NewState()
        {
            PSObject state = (PSObject)StateJson.Copy(template);
            foreach (KeyValuePair<string, StateSection> section in sections)
            {
                state.Properties[section.Key].Value = section.Value.List;
            }
            return state;
        }

        // A copy of everything, for a caller that may change what it gets (Get-ExchangeLabState).
        public PSObject CopyState()
        {
            PSObject state = NewState();
            foreach (KeyValuePair<string, StateSection> section in sections)
            {
                state.Properties[section.Key].Value = StateJson.Copy(section.Value.List);
            }
            return state;
        }

        private int ElementCount()
        {
            int count = 0;
            foreach (StateSection section in sections.Values) count += section.Elements.Length;
            return count;
        }

        private static bool Marked(List<object> changed, object element)
        {
            for (int i = 0; i < changed.Count; i++)
            {
                if (ReferenceEquals(changed[i], element)) return true;
            }
            return false;
        }

        // The state a writer changed, composed as the file's bytes: the element sections' unmarked
        // elements keep their text (copied from the file as it was), marked and new ones are
        // serialized again. `state` comes from NewState (or was just loaded); `changed` lists the
        // elements the writer marked.
        public StateWrite Compose(PSObject state, IList changedList)
        {
            List<object> changed = new List<object>();
            if (changedList != null)
            {
                foreach (object item in changedList) changed.Add(item);
            }
            StateWrite result = new StateWrite();
            JsonBuffer json = spare;
            json.Clear();
            small.Clear();
            int elements = 0;
            bool any = false;
            json.Byte((byte)'{');
            small.Byte((byte)'{');
            foreach (PSPropertyInfo property in state.Properties)
            {
                if (!property.IsGettable) continue;
                foreach (JsonBuffer part in new[] { json, small })
                {
                    part.Ascii(any ? "," : "");
                    part.Indent(1);
                    part.String(property.Name);
                    part.Ascii(": ");
                }
                any = true;
                IList list = AsSection(property.Name, property.Value);
                if (list != null)
                {
                    small.Ascii("[]");
                    StateSection before;
                    sections.TryGetValue(property.Name, out before);
                    result.Sections[property.Name] = WriteSection(json, list, before, changed, result);
                    elements += list.Count;
                    continue;
                }
                int start = json.Length;
                StateJson.Write(json, property.Value, 1);
                small.Bytes(json.Slice(start));
            }
            foreach (JsonBuffer part in new[] { json, small })
            {
                if (any) part.Indent(0);
                part.Byte((byte)'}');
            }
            result.File = json;
            result.SmallText = Encoding.UTF8.GetString(small.Array, 0, small.Length);
            byte[] full = elements <= VerifyUpTo ? StateJson.Serialize(state) : null;
            if (full != null && !SameBytes(full, 0, json.Array, 0, json.Length, full.Length))
            {
                throw new InvalidOperationException("Internal error in the Exchange lab: an element of " + string.Join(" or ", ElementSections) + " was changed without Set-LabChanged; the state was not written.");
            }
            return result;
        }

        private StateSection WriteSection(JsonBuffer json, IList list, StateSection before, List<object> changed, StateWrite result)
        {
            StateSection after = new StateSection(list);
            int n = after.Elements.Length;
            after.Starts = new int[n];
            after.Ends = new int[n];
            json.Byte((byte)'[');
            if (n > 0)
            {
                if (before != null && before.Starts != null && before.Holds(list)) WriteSame(json, before, after, changed, result);
                else WriteEach(json, before, after, changed, result);
                json.Indent(1);
            }
            json.Byte((byte)']');
            return after;
        }

        // The same elements in the same places as in the file: its bytes from the first element to
        // the last, the marked elements' texts replaced.
        private void WriteSame(JsonBuffer json, StateSection before, StateSection after, List<object> changed, StateWrite result)
        {
            int n = after.Elements.Length;
            List<int> marks = new List<int>();
            foreach (object item in changed)
            {
                int at = System.Array.IndexOf(before.Elements, item);
                while (at >= 0)
                {
                    if (!marks.Contains(at)) marks.Add(at);
                    at = at + 1 < n ? System.Array.IndexOf(before.Elements, item, at + 1) : -1;
                }
            }
            marks.Sort();
            json.Indent(2);
            int shift = json.Length - before.Starts[0];
            int from = before.Starts[0];
            int next = 0;
            for (int i = 0; i < n; i++)
            {
                if (next < marks.Count && marks[next] == i)
                {
                    next++;
                    json.Bytes(known, from, before.Starts[i] - from);
                    after.Starts[i] = json.Length;
                    Serialize(json, after.Elements[i], IsCustom(after.Elements[i]), result);
                    after.Ends[i] = json.Length;
                    from = before.Ends[i];
                    shift = json.Length - before.Ends[i];
                    continue;
                }
                after.Starts[i] = before.Starts[i] + shift;
                after.Ends[i] = before.Ends[i] + shift;
            }
            json.Bytes(known, from, before.Ends[n - 1] - from);
        }

        // Element by element: copied when the file (or a small state's parse) has its text, else serialized.
        private void WriteEach(JsonBuffer json, StateSection before, StateSection after, List<object> changed, StateWrite result)
        {
            Dictionary<object, int> place = new Dictionary<object, int>(ReferenceComparer.Instance);
            if (before != null)
            {
                for (int j = before.Elements.Length - 1; j >= 0; j--) place[before.Elements[j]] = j;
            }
            for (int i = 0; i < after.Elements.Length; i++)
            {
                object element = after.Elements[i];
                if (i > 0) json.Byte((byte)',');
                json.Indent(2);
                after.Starts[i] = json.Length;
                int j;
                bool wasThere = place.TryGetValue(element, out j);
                bool custom = IsCustom(element);
                if (custom && wasThere && !Marked(changed, element) && CopyText(json, before, j))
                {
                    after.Ends[i] = json.Length;
                    continue;
                }
                // An element of the state as parsed, written for the first time, is no change.
                Serialize(json, element, custom && (!wasThere || Marked(changed, element)), result);
                after.Ends[i] = json.Length;
            }
        }

        private bool CopyText(JsonBuffer json, StateSection before, int j)
        {
            if (before.Starts != null)
            {
                json.Bytes(known, before.Starts[j], before.Ends[j] - before.Starts[j]);
                return true;
            }
            if (before.Texts != null && before.Texts[j] != null)
            {
                json.Bytes(before.Texts[j]);
                return true;
            }
            return false;
        }

        private static void Serialize(JsonBuffer json, object element, bool refill, StateWrite result)
        {
            int start = json.Length;
            StateJson.Write(json, element, 2);
            result.Serialized++;
            if (!refill) return;
            result.Elements.Add((PSObject)element);
            result.Texts.Add(Encoding.UTF8.GetString(json.Array, start, json.Length - start));
        }

        private static bool SameBytes(byte[] a, int aStart, byte[] b, int bStart, int length)
        {
            if (aStart + length > a.Length || bStart + length > b.Length) return false;
            for (int i = 0; i < length; i++)
            {
                if (a[aStart + i] != b[bStart + i]) return false;
            }
            return true;
        }

        private static bool SameBytes(byte[] a, int aStart, byte[] b, int bStart, int length, int aLength)
        {
            return aLength == length && SameBytes(a, aStart, b, bStart, length);
        }

        // Writes what Compose composed (a temp file renamed over the state).
        public void WriteFile(string statePath, StateWrite written)
        {
            StateFile.WriteAtomic(statePath, written.File.Array, written.File.Length);
        }

        // The write is on disk: `smallParsed` is its small part parsed again (the next commands'
        // template), `state` the writer's state (its element sections become the shared ones; their
        // changed elements were refilled from their parsed text).
        public void Commit(string statePath, StateWrite written, PSObject state, PSObject smallParsed)
        {
            PSObject next = new PSObject();
            foreach (PSPropertyInfo property in smallParsed.Properties)
            {
                bool isSection = written.Sections.ContainsKey(property.Name);
                next.Properties.Add(new PSNoteProperty(property.Name, isSection ? null : property.Value));
            }
            template = next;
            sections = written.Sections;
            LastSerialized = written.Serialized;
            // The composed buffer is the file now; the other one is written next time.
            if (ReferenceEquals(written.File, spare))
            {
                spare = current;
                current = written.File;
            }
            path = statePath;
            known = current.Array;
            knownLength = current.Length;
        }

        // An update that committed nothing: on a small state, check it changed no shared element.
        public void CheckUnchanged()
        {
            if (ElementCount() > VerifyUpTo) return;
            foreach (KeyValuePair<string, StateSection> entry in sections)
            {
                StateSection section = entry.Value;
                for (int i = 0; i < section.Elements.Length; i++)
                {
                    if (!IsCustom(section.Elements[i])) continue;
                    byte[] now = ElementText(section.Elements[i]);
                    bool same = section.Starts != null
                        ? SameBytes(now, 0, known, section.Starts[i], section.Ends[i] - section.Starts[i], now.Length)
                        : section.Texts == null || section.Texts[i] == null || SameBytes(now, 0, section.Texts[i], 0, section.Texts[i].Length, now.Length);
                    if (!same)
                    {
                        Forget();
                        throw new InvalidOperationException("Internal error in the Exchange lab: an element of " + entry.Key + " was changed by an update that wrote nothing.");
                    }
                }
            }
        }

        // The elements of `list` that may answer to `identity` by Name, ExchangeLegacyDN, Guid or
        // the CN of a distinguished name: candidates, which the caller checks as it always did.
        public object[] Candidates(object listValue, string identity)
        {
            IList list = Unwrap(listValue) as IList;
            if (list == null || identity == null) return new object[0];
            if (!ReferenceEquals(list, indexed))
            {
                index = BuildIndex(list);
                indexed = list;
            }
            List<object> found = new List<object>();
            string id = identity.Trim();
            AddCandidates(found, id.ToLowerInvariant());
            Guid guid;
            if (Guid.TryParse(id, out guid)) AddCandidates(found, guid.ToString("D"));
            if (id.StartsWith("CN=", StringComparison.OrdinalIgnoreCase))
            {
                int comma = id.IndexOf(',');
                if (comma > 3) AddCandidates(found, id.Substring(3, comma - 3).ToLowerInvariant());
            }
            return found.ToArray();
        }

        private void AddCandidates(List<object> found, string key)
        {
            List<object> bucket;
            if (!index.TryGetValue(key, out bucket)) return;
            foreach (object item in bucket)
            {
                bool seen = false;
                foreach (object f in found) { if (ReferenceEquals(f, item)) { seen = true; break; } }
                if (!seen) found.Add(item);
            }
        }

        private static Dictionary<string, List<object>> BuildIndex(IList list)
        {
            Dictionary<string, List<object>> map = new Dictionary<string, List<object>>(StringComparer.Ordinal);
            foreach (object item in list)
            {
                PSObject obj = item as PSObject;
                if (obj == null) continue;
                foreach (string name in new[] { "Name", "ExchangeLegacyDN", "Guid" })
                {
                    PSPropertyInfo property = obj.Properties[name];
                    if (property == null || property.Value == null) continue;
                    string key = Convert.ToString(Unwrap(property.Value), CultureInfo.InvariantCulture).Trim();
                    Guid guid;
                    key = name == "Guid" && Guid.TryParse(key, out guid) ? guid.ToString("D") : key.ToLowerInvariant();
                    List<object> bucket;
                    if (!map.TryGetValue(key, out bucket)) map[key] = bucket = new List<object>();
                    bucket.Add(item);
                }
            }
            return map;
        }
    }
}
