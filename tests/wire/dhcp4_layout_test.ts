/**
 * layoutOptions() and emitDhcp4() with overload, against bytes written out by hand from the
 * RFCs: RFC 3396 (a value over 255 bytes as consecutive instances of one code, joined in the
 * order options, file, sname) and RFC 2132 section 9.3 (option 52 in the options field, 1 for
 * `file`, 2 for `sname`, 3 for both; each overloaded field an option area ending with END).
 */
import assert from "node:assert/strict";
import {
  type Dhcp4Draft,
  dhcp4Length,
  emitDhcp4,
  parseDhcp4,
  replyFromRequest,
} from "../../src/wire/dhcp4.ts";
import { layoutOptions, type OptionLayout } from "../../src/wire/dhcp4_layout.ts";
import { fromHex, hex } from "../hex.ts";

/** `n` bytes counting up from `from`, so that every byte of a split value is told apart. */
function counting(n: number, from = 0): Uint8Array {
  return new Uint8Array(n).map((_, i) => (from + i) & 0xff);
}

function placed(
  entries: readonly (readonly [number, Uint8Array])[],
  room: { options: number; file: boolean; sname: boolean },
): OptionLayout {
  const layout = layoutOptions(entries, room);
  assert.ok(layout !== null, "did not fit");
  return layout;
}

/** The whole message a layout makes: a BOOTREPLY with those options, file and sname. */
function emitted(layout: OptionLayout): Uint8Array {
  const draft: Dhcp4Draft = replyFromRequest({
    htype: 1,
    hlen: 6,
    xid: 0x1f000001,
    flags: 0,
    giaddr: 0,
    chaddr: fromHex("525400770010"),
  });
  for (const [code, value] of layout.options) draft.options.set(code, value);
  draft.overload = layout.overload;
  if (layout.file !== null) draft.file = layout.file;
  if (layout.sname !== null) draft.sname = layout.sname;
  const into = new Uint8Array(dhcp4Length(draft)).fill(0xee);
  emitDhcp4(draft, into);
  return into;
}

Deno.test("layoutOptions() keeps everything in the options field when it fits, with no option 52", () => {
  const layout = placed([[53, Uint8Array.of(2)], [252, counting(300)]], {
    options: 312,
    file: true,
    sname: true,
  });
  assert.equal(layout.overload, 0);
  const bytes = emitted(layout);
  // RFC 3396: 300 bytes go as 255 then 45, one code; then END.
  assert.equal(hex(bytes.subarray(240, 245)), "350102fcff");
  assert.equal(hex(bytes.subarray(245, 500)), hex(counting(255)));
  assert.equal(hex(bytes.subarray(500, 502)), "fc2d");
  assert.equal(hex(bytes.subarray(502, 547)), hex(counting(45, 255)));
  assert.equal(hex(bytes.subarray(547)), "ff");
  // file and sname are zeros: no name, no options.
  assert.ok(bytes.subarray(44, 236).every((b) => b === 0));
});

Deno.test("layoutOptions() overloads file (52 = 1) for what the options field cannot take, END in both", () => {
  // 20 bytes of options field: 52 (3), 53 (3), END (1) leave 13, too few for 12 bytes of 43.
  const layout = placed([[53, Uint8Array.of(5)], [43, counting(12, 0xa0)], [
    15,
    fromHex("6578"),
  ]], {
    options: 20,
    file: true,
    sname: true,
  });
  assert.equal(layout.overload, 1);
  const bytes = emitted(layout);
  // Options field: 52 first, then what fits in order (53, and 15 after 43 moved), END.
  assert.equal(hex(bytes.subarray(240)), "340101" + "350105" + "0f026578" + "ff");
  // The file field (offset 108): 43 whole, END, zero padding; sname untouched.
  assert.equal(hex(bytes.subarray(108, 108 + 15)), "2b0c" + hex(counting(12, 0xa0)) + "ff");
  assert.ok(bytes.subarray(108 + 15, 236).every((b) => b === 0));
  assert.ok(bytes.subarray(44, 108).every((b) => b === 0));
  const parsed = parseDhcp4(bytes);
  assert.ok(parsed.ok);
  assert.deepEqual([...parsed.value.options.keys()].sort(), [15, 43, 52, 53]);
});

Deno.test("layoutOptions() splits a value across options and file in RFC 3396 order", () => {
  // 360 bytes: 255 fit in the options field (room 262 = 52, 257 for 252's first instance, END,
  // and one byte spare), the other 105 go to file.
  const value = counting(360);
  const layout = placed([[252, value]], { options: 262, file: true, sname: true });
  assert.equal(layout.overload, 1);
  const bytes = emitted(layout);
  assert.equal(hex(bytes.subarray(240, 245)), "340101fcff");
  assert.equal(hex(bytes.subarray(245, 500)), hex(counting(255)));
  assert.equal(hex(bytes.subarray(500)), "ff");
  assert.equal(hex(bytes.subarray(108, 110)), "fc69");
  assert.equal(hex(bytes.subarray(110, 215)), hex(counting(105, 255)));
  assert.equal(bytes[215], 0xff);
  const parsed = parseDhcp4(bytes);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.options.get(252), value);
});

Deno.test("layoutOptions() uses sname alone (52 = 2) when file is not free, and both (3) when needed", () => {
  const sname = placed([[53, Uint8Array.of(2)], [43, counting(40)]], {
    options: 20,
    file: false,
    sname: true,
  });
  assert.equal(sname.overload, 2);
  assert.equal(sname.file, null);
  const bytes = emitted(sname);
  assert.equal(hex(bytes.subarray(240)), "340102" + "350102" + "ff");
  assert.equal(hex(bytes.subarray(44, 44 + 43)), "2b28" + hex(counting(40)) + "ff");
  const both = placed([[43, counting(100)], [224, counting(50)]], {
    options: 20,
    file: true,
    sname: true,
  });
  assert.equal(both.overload, 3);
  const again = emitted(both);
  assert.equal(hex(again.subarray(240)), "340103" + "ff");
  assert.equal(hex(again.subarray(108, 110)), "2b64");
  assert.equal(again[108 + 102], 0xff);
  assert.equal(hex(again.subarray(44, 46)), "e032");
  assert.equal(again[44 + 52], 0xff);
});

Deno.test("layoutOptions() gives null when nothing free holds the options", () => {
  assert.equal(
    layoutOptions([[43, counting(30)]], { options: 20, file: false, sname: false }),
    null,
  );
  assert.equal(
    layoutOptions([[43, counting(200)]], { options: 20, file: true, sname: true }),
    null,
  );
});

Deno.test("layoutOptions() keeps room for END: options filling the whole field go to file instead", () => {
  // 53 (3 bytes) and 252 (7 bytes) fill a 10-byte options field, with no room left for END.
  const layout = placed([[53, Uint8Array.of(5)], [252, counting(5)]], {
    options: 10,
    file: true,
    sname: false,
  });
  assert.equal(layout.overload, 1);
});

Deno.test("layoutOptions() makes an overloaded field its options and END, nothing after", () => {
  const layout = placed([[53, Uint8Array.of(5)], [43, counting(12, 0xa0)]], {
    options: 12,
    file: true,
    sname: false,
  });
  assert.equal(hex(layout.file!), "2b0c" + hex(counting(12, 0xa0)) + "ff");
});

Deno.test("layoutOptions() keeps room for END in sname: 63 bytes of options fit its 64, 64 do not", () => {
  // Option 52 alone fills an options field of 4 (52, its length, its value, END).
  const room = { options: 4, file: false, sname: true };
  const fits = placed([[43, counting(61)]], room);
  assert.equal(fits.overload, 2);
  assert.equal(hex(fits.sname!), "2b3d" + hex(counting(61)) + "ff");
  assert.equal(layoutOptions([[43, counting(62)]], room), null);
});

Deno.test("layoutOptions() fills an overloaded options field to its END: room less option 52 and END", () => {
  // 20 bytes: 52 (3), then 16 for options, then END. 53 (3) and 43 (13) take those 16 exactly.
  const layout = placed([[53, Uint8Array.of(2)], [43, counting(11)], [224, counting(10)]], {
    options: 20,
    file: true,
    sname: false,
  });
  assert.equal(layout.overload, 1);
  assert.deepEqual(layout.options, [[53, Uint8Array.of(2)], [43, counting(11)]]);
  assert.equal(hex(layout.file!), "e00a" + hex(counting(10)) + "ff");
});
