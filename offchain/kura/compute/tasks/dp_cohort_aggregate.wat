;; dp_cohort_aggregate: HbA1c and blood pressure by age band, sex and condition, with
;; differential privacy and disclosure control, as canonical JSON (sorted keys, integers only).
;; The first approved compute-to-data module. No floating point anywhere.
;;
;; INPUT (little-endian; dp_cohort_format.py encodes and decodes it)
;;   header, 76 bytes
;;     0  u32     format version, 1
;;     4  [32]    noise seed (the ChaCha20 key; derived by the nodes, unknown to the buyer)
;;     36 u32     eps_num   } epsilon = eps_num / eps_den, the job's total privacy loss:
;;     40 u32     eps_den   } both 1 .. 2^20, in lowest terms
;;     44 u8[7]   weights w_i, 1 .. 255, of the statistics count, diastolic_n, diastolic_sum,
;;                hba1c_n, hba1c_sum, systolic_n, systolic_sum (in that order)
;;     51 u8      L, the most conditions one patient may list, 1 .. 8
;;     52 u32     k, the minimum count, >= 1
;;     56 u16     dominance n, 1 .. 4
;;     58 u16     dominance p (percent), 1 .. 100
;;     60 u16[6]  clamping bounds low, high of diastolic (mmHg), HbA1c (0.1 %), systolic (mmHg):
;;                low < high <= 65534
;;     72 u32     number of records
;;   then the records, one per patient, exactly as many as announced, nothing after:
;;     0  u8      age_min   } the age band in years, age_min <= age_max (255: open-ended)
;;     1  u8      age_max   }
;;     2  u8      sex: 0 female, 1 male, 2 other, 3 unknown
;;     3  u8      c, the number of conditions, 0 .. L
;;     4  u16     diastolic, 6 u16 HbA1c, 8 u16 systolic; 65535 = never measured
;;     10 c x 3   ICD-10 categories (A-Z, 0-9, 0-9 or A-Z), strictly increasing
;;   Any violation traps (unreachable): the job fails on every node alike.
;;
;; CELLS. A patient counts in the cell (age band, sex, condition) of each of their conditions,
;; or in the one cell (age band, sex, "none") if they list none. Each measurement is clamped to
;; its public bounds [lo, hi]. Per cell and measure: N the patients, n the measured ones,
;; S = sum of (x - c) with c = lo + floor((hi - lo) / 2), and the four largest x - lo.
;;
;; NOISE. The seven statistics of a cell, (N, n_d, S_d, n_h, S_h, n_s, S_s), each get
;;   epsilon_i = epsilon * w_i / (L * W),   W = w_1 + ... + w_7,
;; and discrete Laplace noise of scale Delta_i / epsilon_i, with Delta = 1 for the counts and
;; Delta = hi - c = ceil((hi - lo) / 2) for a sum: t_i / s_i with t_i = Delta_i * L * W * eps_den
;; and s_i = eps_num * w_i. Cells are taken in key order; a cell whose true N is under k draws
;; nothing, any other draws its seven samples in the order above. The sampler is exact (Canonne,
;; Kamath & Steinke 2020, "The Discrete Gaussian for Differential Privacy", Algorithms 1 and 2,
;; with gamma = U/t and 1): Bernoulli(a/b) is one uniform integer below b compared with a, a
;; uniform below b takes 64-bit words of the ChaCha20 keystream (RFC 8439; key = seed, nonce 0,
;; counter from 0) until one is >= 2^64 mod b and reduces it mod b.
;;
;; PRIVACY ARGUMENT. Neighbouring inputs differ by adding or removing one patient record (one
;; patient is one record: the input builder makes one per consenting patient). A record lands in
;; at most L cells (its conditions are distinct and at most L, or it is in the "none" cell), and
;; in each it moves N by 1, each n by at most 1 and each S by at most Delta (a clamped value is
;; within Delta of c). The discrete Laplace mechanism with scale Delta_i / epsilon_i is
;; epsilon_i-DP for a statistic of sensitivity Delta_i; the seven statistics of a cell compose
;; sequentially to sum(epsilon_i) = epsilon / L; the cells the record is not in have the same
;; distribution under both inputs; so the whole release is (L * epsilon / L) = epsilon-DP.
;; Everything after the noise (thresholding noisy counts, clamping, dividing, rounding) is
;; post-processing. The noise is independent of the data and of the buyer as long as the buyer
;; cannot predict the ChaCha20 keystream, i.e. does not know the seed (computational DP).
;; Not covered by epsilon, and said here so nobody assumes otherwise: which cells and measures
;; are withheld because a TRUE count is under k or the dominance rule fires, and the two counts
;; of withheld items. That is the disclosure control the data holders' rules ask for (minimum
;; cell counts as in OHDSI, DataSHIELD, PCORnet), applied on top of, not instead of, the noise.
;;
;; DISCLOSURE CONTROL. A cell is released iff its true N >= k and its noisy N >= k. Within a
;; released cell, a measure is released iff its true n >= k, its noisy n >= k, and the (n, p)
;; dominance rule passes: the n largest contributions x - lo are at most p % of their total
;; (100 * top <= p * total). Every released count and measured count is therefore >= k, which
;; the buyer's checker verifies.
;;
;; OUTPUT, at most 2^20 bytes (the module traps rather than return more):
;;   {"cells":[<cell>,...],"epsilon_den":D,"epsilon_num":E,"min_count":k,"schema":1,
;;    "suppressed_cells":C,"suppressed_measures":M}
;;   <cell> = {"age_max":A,"age_min":A,"condition":"E11" or "none","count":N~,
;;             "diastolic":<m>,"hba1c":<m>,"sex":"female|male|other|unknown","systolic":<m>}
;;   <m>    = null (withheld) or {"mean_x100":X,"n":n~}
;; Cells are in order of (age_min, age_max, sex code, condition), "none" first. X is the mean in
;; hundredths of the clinical unit (of a percent for HbA1c, of a mmHg for pressures), f the
;; factor from the input unit (10 for HbA1c, 100 for pressures):
;;   S~ = S + noise clamped to [(lo - c) n~, (hi - c) n~],   X = f c + floor((2 f S~ + n~) / (2 n~)).
;;
;; RANGE. Scales are below 2^49 (t <= 2^15 * 8 * 1785 * 2^20; for counts below 2^34). Every
;; intermediate value stays below 2^63 (so the Python reference, with unbounded integers, gives
;; the same bytes) unless some draw's geometric count V reaches 2^13 or its Algorithm 1 counter K
;; reaches 2^14: probability below e^-8192 per draw. Even then every node computes the same bytes
;; (WebAssembly integer arithmetic is defined modulo 2^64).

(data (i32.const 64) "{\"cells\":[\00")
(data (i32.const 96) "{\"age_max\":\00")
(data (i32.const 128) ",\"age_min\":\00")
(data (i32.const 160) ",\"condition\":\"\00")
(data (i32.const 192) "\",\"count\":\00")
(data (i32.const 224) ",\"diastolic\":\00")
(data (i32.const 256) ",\"hba1c\":\00")
(data (i32.const 288) ",\"sex\":\"\00")
(data (i32.const 320) "\",\"systolic\":\00")
(data (i32.const 352) "{\"mean_x100\":\00")
(data (i32.const 384) ",\"n\":\00")
(data (i32.const 416) "null\00")
(data (i32.const 448) "],\"epsilon_den\":\00")
(data (i32.const 480) ",\"epsilon_num\":\00")
(data (i32.const 512) ",\"min_count\":\00")
(data (i32.const 544) ",\"schema\":1\00")
(data (i32.const 576) ",\"suppressed_cells\":\00")
(data (i32.const 608) ",\"suppressed_measures\":\00")
(data (i32.const 640) "none\00")
;; the sexes by code, 32 bytes apart
(data (i32.const 672) "female\00")
(data (i32.const 704) "male\00")
(data (i32.const 736) "other\00")
(data (i32.const 768) "unknown\00")

(global $header_size i32 (i32.const 76))
(global $record_size i32 (i32.const 10))
(global $missing i32 (i32.const 0xffff))
(global $max_eps_term i64 (i64.const 0x100000))
(global $output_cap i32 (i32.const 0x100000))
;; A cell is 88 bytes: key (u64), N (u64), then per measure m at 16 + 24 m: n (u64), S (i64),
;; the four largest contributions (u16, descending). The key is
;; age_min << 56 | age_max << 48 | sex << 40 | condition << 16 (condition 0 = "none"),
;; so unsigned order is output order. Cells are kept sorted by key.
(global $cell_size i32 (i32.const 88))

(global $in (mut i32) (i32.const 0))
(global $table (mut i32) (i32.const 0))
(global $cells (mut i32) (i32.const 0))
;; ChaCha20: the 16-word state at $rng, the current keystream block at $rng + 64.
(global $rng (mut i32) (i32.const 0))
(global $rng_used (mut i32) (i32.const 64))
;; The seven noise samples of the cell being released (i64 each).
(global $noise (mut i32) (i32.const 0))

;; --- header fields ----------------------------------------------------------------------

(func $eps_num (result i64) (i64.load32_u offset=36 (global.get $in)))
(func $eps_den (result i64) (i64.load32_u offset=40 (global.get $in)))
(func $weight (param $i i32) (result i64) (i64.load8_u offset=44 (i32.add (global.get $in) (local.get $i))))
(func $max_conditions (result i32) (i32.load8_u offset=51 (global.get $in)))
(func $min_count (result i64) (i64.load32_u offset=52 (global.get $in)))
(func $dominance_n (result i32) (i32.load16_u offset=56 (global.get $in)))
(func $dominance_pct (result i64) (i64.load16_u offset=58 (global.get $in)))
(func $low (param $m i32) (result i64)
  (i64.load16_u offset=60 (i32.add (global.get $in) (i32.shl (local.get $m) (i32.const 2)))))
(func $high (param $m i32) (result i64)
  (i64.load16_u offset=62 (i32.add (global.get $in) (i32.shl (local.get $m) (i32.const 2)))))
(func $center (param $m i32) (result i64)
  (i64.add (call $low (local.get $m))
           (i64.shr_u (i64.sub (call $high (local.get $m)) (call $low (local.get $m))) (i64.const 1))))

(func $gcd (param $a i64) (param $b i64) (result i64)
  (local $r i64)
  (block $done
    (loop $step
      (br_if $done (i64.eqz (local.get $b)))
      (local.set $r (i64.rem_u (local.get $a) (local.get $b)))
      (local.set $a (local.get $b))
      (local.set $b (local.get $r))
      (br $step)))
  (local.get $a))

;; Trap unless the header is complete and every parameter is in range.
(func $check_header (param $len i32)
  (local $i i32)
  (if (i32.lt_u (local.get $len) (global.get $header_size)) (then unreachable))
  (if (i32.ne (i32.load (global.get $in)) (i32.const 1)) (then unreachable))
  (if (i32.or (i64.gt_u (i64.sub (call $eps_num) (i64.const 1)) (i64.sub (global.get $max_eps_term) (i64.const 1)))
              (i64.gt_u (i64.sub (call $eps_den) (i64.const 1)) (i64.sub (global.get $max_eps_term) (i64.const 1))))
    (then unreachable))
  (if (i64.ne (call $gcd (call $eps_num) (call $eps_den)) (i64.const 1)) (then unreachable))
  (loop $weights
    (if (i64.eqz (call $weight (local.get $i))) (then unreachable))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $weights (i32.lt_u (local.get $i) (i32.const 7))))
  (if (i32.gt_u (i32.sub (call $max_conditions) (i32.const 1)) (i32.const 7)) (then unreachable))
  (if (i64.eqz (call $min_count)) (then unreachable))
  (if (i32.gt_u (i32.sub (call $dominance_n) (i32.const 1)) (i32.const 3)) (then unreachable))
  (if (i64.gt_u (i64.sub (call $dominance_pct) (i64.const 1)) (i64.const 99)) (then unreachable))
  (local.set $i (i32.const 0))
  (loop $bounds
    (if (i32.or (i64.ge_u (call $low (local.get $i)) (call $high (local.get $i)))
                (i64.eq (call $high (local.get $i)) (i64.extend_i32_u (global.get $missing))))
      (then unreachable))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $bounds (i32.lt_u (local.get $i) (i32.const 3)))))

;; --- aggregation --------------------------------------------------------------------------

;; The ICD-10 category at $at packed big-endian into 24 bits; traps if it is not one.
(func $category (param $at i32) (result i64)
  (local $a i32) (local $b i32) (local $c i32)
  (local.set $a (i32.load8_u (local.get $at)))
  (local.set $b (i32.load8_u offset=1 (local.get $at)))
  (local.set $c (i32.load8_u offset=2 (local.get $at)))
  (if (i32.or (i32.or (i32.ge_u (i32.sub (local.get $a) (i32.const 65)) (i32.const 26))
                      (i32.ge_u (i32.sub (local.get $b) (i32.const 48)) (i32.const 10)))
              (i32.and (i32.ge_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
                       (i32.ge_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))))
    (then unreachable))
  (i64.extend_i32_u
    (i32.or (i32.or (i32.shl (local.get $a) (i32.const 16)) (i32.shl (local.get $b) (i32.const 8)))
            (local.get $c))))

;; The cell with this key, inserted (zeroed) in key order if new. The table is the top of the
;; heap, so a new cell reserves the next 88 bytes and the cells after it move up.
(func $cell (param $key i64) (result i32)
  (local $lo i32) (local $hi i32) (local $mid i32) (local $entry i32)
  (local.set $hi (global.get $cells))
  (block $found
    (loop $search
      (br_if $found (i32.ge_u (local.get $lo) (local.get $hi)))
      (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
      (if (i64.lt_u (i64.load (i32.add (global.get $table) (i32.mul (local.get $mid) (global.get $cell_size))))
                    (local.get $key))
        (then (local.set $lo (i32.add (local.get $mid) (i32.const 1))))
        (else (local.set $hi (local.get $mid))))
      (br $search)))
  (local.set $entry (i32.add (global.get $table) (i32.mul (local.get $lo) (global.get $cell_size))))
  (if (i32.lt_u (local.get $lo) (global.get $cells))
    (then (if (i64.eq (i64.load (local.get $entry)) (local.get $key)) (then (return (local.get $entry))))))
  (drop (call $reserve (global.get $cell_size)))
  (memory.copy (i32.add (local.get $entry) (global.get $cell_size)) (local.get $entry)
               (i32.mul (i32.sub (global.get $cells) (local.get $lo)) (global.get $cell_size)))
  (memory.fill (local.get $entry) (i32.const 0) (global.get $cell_size))
  (i64.store (local.get $entry) (local.get $key))
  (global.set $cells (i32.add (global.get $cells) (i32.const 1)))
  (local.get $entry))

;; Insert $v into the four u16 at $at, kept in descending order (the smallest falls off).
(func $keep_largest (param $at i32) (param $v i32)
  (local $end i32) (local $held i32)
  (local.set $end (i32.add (local.get $at) (i32.const 8)))
  (loop $slot
    (local.set $held (i32.load16_u (local.get $at)))
    (if (i32.gt_u (local.get $v) (local.get $held))
      (then (i32.store16 (local.get $at) (local.get $v))
            (local.set $v (local.get $held))))
    (local.set $at (i32.add (local.get $at) (i32.const 2)))
    (br_if $slot (i32.lt_u (local.get $at) (local.get $end)))))

;; Count the patient of the record at $rec in the cell at $entry.
(func $add (param $entry i32) (param $rec i32)
  (local $m i32) (local $v i64) (local $field i32)
  (i64.store offset=8 (local.get $entry) (i64.add (i64.load offset=8 (local.get $entry)) (i64.const 1)))
  (loop $measure
    (local.set $v (i64.load16_u offset=4 (i32.add (local.get $rec) (i32.shl (local.get $m) (i32.const 1)))))
    (if (i64.ne (local.get $v) (i64.extend_i32_u (global.get $missing)))
      (then
        (if (i64.lt_u (local.get $v) (call $low (local.get $m))) (then (local.set $v (call $low (local.get $m)))))
        (if (i64.gt_u (local.get $v) (call $high (local.get $m))) (then (local.set $v (call $high (local.get $m)))))
        (local.set $field (i32.add (i32.add (local.get $entry) (i32.const 16)) (i32.mul (local.get $m) (i32.const 24))))
        (i64.store (local.get $field) (i64.add (i64.load (local.get $field)) (i64.const 1)))
        (i64.store offset=8 (local.get $field)
          (i64.add (i64.load offset=8 (local.get $field)) (i64.sub (local.get $v) (call $center (local.get $m)))))
        (call $keep_largest (i32.add (local.get $field) (i32.const 16))
                            (i32.wrap_i64 (i64.sub (local.get $v) (call $low (local.get $m)))))))
    (local.set $m (i32.add (local.get $m) (i32.const 1)))
    (br_if $measure (i32.lt_u (local.get $m) (i32.const 3)))))

;; Check the record at $rec (the input ends at $end), add it to its cells; return the next record.
(func $record (param $rec i32) (param $end i32) (result i32)
  (local $conditions i32) (local $at i32) (local $next i32) (local $key i64) (local $category i64) (local $previous i64)
  (if (i32.gt_u (i32.add (local.get $rec) (global.get $record_size)) (local.get $end)) (then unreachable))
  (local.set $conditions (i32.load8_u offset=3 (local.get $rec)))
  (if (i32.gt_u (i32.load8_u (local.get $rec)) (i32.load8_u offset=1 (local.get $rec))) (then unreachable))
  (if (i32.gt_u (i32.load8_u offset=2 (local.get $rec)) (i32.const 3)) (then unreachable))
  (if (i32.gt_u (local.get $conditions) (call $max_conditions)) (then unreachable))
  (local.set $at (i32.add (local.get $rec) (global.get $record_size)))
  (local.set $next (i32.add (local.get $at) (i32.mul (local.get $conditions) (i32.const 3))))
  (if (i32.gt_u (local.get $next) (local.get $end)) (then unreachable))
  (local.set $key
    (i64.or (i64.or (i64.shl (i64.load8_u (local.get $rec)) (i64.const 56))
                    (i64.shl (i64.load8_u offset=1 (local.get $rec)) (i64.const 48)))
            (i64.shl (i64.load8_u offset=2 (local.get $rec)) (i64.const 40))))
  (if (i32.eqz (local.get $conditions))
    (then (call $add (call $cell (local.get $key)) (local.get $rec))))
  (block $listed
    (loop $condition
      (br_if $listed (i32.ge_u (local.get $at) (local.get $next)))
      (local.set $category (call $category (local.get $at)))
      (if (i64.le_u (local.get $category) (local.get $previous)) (then unreachable))
      (local.set $previous (local.get $category))
      (call $add (call $cell (i64.or (local.get $key) (i64.shl (local.get $category) (i64.const 16))))
                 (local.get $rec))
      (local.set $at (i32.add (local.get $at) (i32.const 3)))
      (br $condition)))
  (local.get $next))

;; --- ChaCha20 keystream (RFC 8439) ------------------------------------------------------------

(func $rng_init
  (i32.store (global.get $rng) (i32.const 0x61707865))
  (i32.store offset=4 (global.get $rng) (i32.const 0x3320646e))
  (i32.store offset=8 (global.get $rng) (i32.const 0x79622d32))
  (i32.store offset=12 (global.get $rng) (i32.const 0x6b206574))
  (memory.copy (i32.add (global.get $rng) (i32.const 16)) (i32.add (global.get $in) (i32.const 4)) (i32.const 32))
  (memory.fill (i32.add (global.get $rng) (i32.const 48)) (i32.const 0) (i32.const 16))
  (global.set $rng_used (i32.const 64)))

;; The quarter round: (a, b, c, d) -> (a', b', c', d').
(func $qr (param $a i32) (param $b i32) (param $c i32) (param $d i32) (result i32 i32 i32 i32)
  (local.set $a (i32.add (local.get $a) (local.get $b)))
  (local.set $d (i32.rotl (i32.xor (local.get $d) (local.get $a)) (i32.const 16)))
  (local.set $c (i32.add (local.get $c) (local.get $d)))
  (local.set $b (i32.rotl (i32.xor (local.get $b) (local.get $c)) (i32.const 12)))
  (local.set $a (i32.add (local.get $a) (local.get $b)))
  (local.set $d (i32.rotl (i32.xor (local.get $d) (local.get $a)) (i32.const 8)))
  (local.set $c (i32.add (local.get $c) (local.get $d)))
  (local.set $b (i32.rotl (i32.xor (local.get $b) (local.get $c)) (i32.const 7)))
  (local.get $a) (local.get $b) (local.get $c) (local.get $d))

;; The next keystream block: 10 double rounds (columns, then diagonals) over the state words held
;; in locals, plus the state, into the block buffer; then the block counter (word 12) + 1.
(func $chacha_block
  (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
  (local $x4 i32) (local $x5 i32) (local $x6 i32) (local $x7 i32)
  (local $x8 i32) (local $x9 i32) (local $x10 i32) (local $x11 i32)
  (local $x12 i32) (local $x13 i32) (local $x14 i32) (local $x15 i32)
  (local $round i32) (local $block i32)
  (local.set $x0 (i32.load offset=0 (global.get $rng)))
  (local.set $x1 (i32.load offset=4 (global.get $rng)))
  (local.set $x2 (i32.load offset=8 (global.get $rng)))
  (local.set $x3 (i32.load offset=12 (global.get $rng)))
  (local.set $x4 (i32.load offset=16 (global.get $rng)))
  (local.set $x5 (i32.load offset=20 (global.get $rng)))
  (local.set $x6 (i32.load offset=24 (global.get $rng)))
  (local.set $x7 (i32.load offset=28 (global.get $rng)))
  (local.set $x8 (i32.load offset=32 (global.get $rng)))
  (local.set $x9 (i32.load offset=36 (global.get $rng)))
  (local.set $x10 (i32.load offset=40 (global.get $rng)))
  (local.set $x11 (i32.load offset=44 (global.get $rng)))
  (local.set $x12 (i32.load offset=48 (global.get $rng)))
  (local.set $x13 (i32.load offset=52 (global.get $rng)))
  (local.set $x14 (i32.load offset=56 (global.get $rng)))
  (local.set $x15 (i32.load offset=60 (global.get $rng)))
  (local.set $round (i32.const 10))
  (loop $double_round
    (call $qr (local.get $x0) (local.get $x4) (local.get $x8) (local.get $x12))
    (local.set $x12) (local.set $x8) (local.set $x4) (local.set $x0)
    (call $qr (local.get $x1) (local.get $x5) (local.get $x9) (local.get $x13))
    (local.set $x13) (local.set $x9) (local.set $x5) (local.set $x1)
    (call $qr (local.get $x2) (local.get $x6) (local.get $x10) (local.get $x14))
    (local.set $x14) (local.set $x10) (local.set $x6) (local.set $x2)
    (call $qr (local.get $x3) (local.get $x7) (local.get $x11) (local.get $x15))
    (local.set $x15) (local.set $x11) (local.set $x7) (local.set $x3)
    (call $qr (local.get $x0) (local.get $x5) (local.get $x10) (local.get $x15))
    (local.set $x15) (local.set $x10) (local.set $x5) (local.set $x0)
    (call $qr (local.get $x1) (local.get $x6) (local.get $x11) (local.get $x12))
    (local.set $x12) (local.set $x11) (local.set $x6) (local.set $x1)
    (call $qr (local.get $x2) (local.get $x7) (local.get $x8) (local.get $x13))
    (local.set $x13) (local.set $x8) (local.set $x7) (local.set $x2)
    (call $qr (local.get $x3) (local.get $x4) (local.get $x9) (local.get $x14))
    (local.set $x14) (local.set $x9) (local.set $x4) (local.set $x3)
    (local.set $round (i32.sub (local.get $round) (i32.const 1)))
    (br_if $double_round (local.get $round)))
  (local.set $block (i32.add (global.get $rng) (i32.const 64)))
  (i32.store offset=0 (local.get $block) (i32.add (local.get $x0) (i32.load offset=0 (global.get $rng))))
  (i32.store offset=4 (local.get $block) (i32.add (local.get $x1) (i32.load offset=4 (global.get $rng))))
  (i32.store offset=8 (local.get $block) (i32.add (local.get $x2) (i32.load offset=8 (global.get $rng))))
  (i32.store offset=12 (local.get $block) (i32.add (local.get $x3) (i32.load offset=12 (global.get $rng))))
  (i32.store offset=16 (local.get $block) (i32.add (local.get $x4) (i32.load offset=16 (global.get $rng))))
  (i32.store offset=20 (local.get $block) (i32.add (local.get $x5) (i32.load offset=20 (global.get $rng))))
  (i32.store offset=24 (local.get $block) (i32.add (local.get $x6) (i32.load offset=24 (global.get $rng))))
  (i32.store offset=28 (local.get $block) (i32.add (local.get $x7) (i32.load offset=28 (global.get $rng))))
  (i32.store offset=32 (local.get $block) (i32.add (local.get $x8) (i32.load offset=32 (global.get $rng))))
  (i32.store offset=36 (local.get $block) (i32.add (local.get $x9) (i32.load offset=36 (global.get $rng))))
  (i32.store offset=40 (local.get $block) (i32.add (local.get $x10) (i32.load offset=40 (global.get $rng))))
  (i32.store offset=44 (local.get $block) (i32.add (local.get $x11) (i32.load offset=44 (global.get $rng))))
  (i32.store offset=48 (local.get $block) (i32.add (local.get $x12) (i32.load offset=48 (global.get $rng))))
  (i32.store offset=52 (local.get $block) (i32.add (local.get $x13) (i32.load offset=52 (global.get $rng))))
  (i32.store offset=56 (local.get $block) (i32.add (local.get $x14) (i32.load offset=56 (global.get $rng))))
  (i32.store offset=60 (local.get $block) (i32.add (local.get $x15) (i32.load offset=60 (global.get $rng))))
  (i32.store offset=48 (global.get $rng) (i32.add (i32.load offset=48 (global.get $rng)) (i32.const 1)))
  (global.set $rng_used (i32.const 0)))

;; The next 8 keystream bytes as a little-endian u64.
(func $next_u64 (result i64)
  (local $word i64)
  (if (i32.eq (global.get $rng_used) (i32.const 64)) (then (call $chacha_block)))
  (local.set $word (i64.load offset=64 (i32.add (global.get $rng) (global.get $rng_used))))
  (global.set $rng_used (i32.add (global.get $rng_used) (i32.const 8)))
  (local.get $word))

;; --- exact samplers ---------------------------------------------------------------------------

;; Uniform in [0, n), 1 <= n < 2^64: reject words below 2^64 mod n, reduce the rest mod n.
(func $below (param $n i64) (result i64)
  (local $threshold i64) (local $word i64)
  (local.set $threshold (i64.rem_u (i64.sub (i64.const 0) (local.get $n)) (local.get $n)))
  (loop $draw
    (local.set $word (call $next_u64))
    (br_if $draw (i64.lt_u (local.get $word) (local.get $threshold))))
  (i64.rem_u (local.get $word) (local.get $n)))

;; Bernoulli(a / b).
(func $bernoulli (param $a i64) (param $b i64) (result i32)
  (i64.lt_u (call $below (local.get $b)) (local.get $a)))

;; Bernoulli(exp(-a / b)) for 0 <= a <= b (CKS 2020, Algorithm 1): K grows while Bernoulli(a / (b K)).
(func $bernoulli_exp (param $a i64) (param $b i64) (result i32)
  (local $k i64)
  (local.set $k (i64.const 1))
  (loop $grow
    (if (call $bernoulli (local.get $a) (i64.mul (local.get $b) (local.get $k)))
      (then (local.set $k (i64.add (local.get $k) (i64.const 1)))
            (br $grow))))
  (i32.wrap_i64 (i64.and (local.get $k) (i64.const 1))))

;; Discrete Laplace of scale t / s (CKS 2020, Algorithm 2).
(func $discrete_laplace (param $t i64) (param $s i64) (result i64)
  (local $u i64) (local $v i64) (local $y i64) (local $negative i32)
  (loop $attempt
    (local.set $u (call $below (local.get $t)))
    (br_if $attempt (i32.eqz (call $bernoulli_exp (local.get $u) (local.get $t))))
    (local.set $v (i64.const 0))
    (block $geometric
      (loop $success
        (br_if $geometric (i32.eqz (call $bernoulli_exp (i64.const 1) (i64.const 1))))
        (local.set $v (i64.add (local.get $v) (i64.const 1)))
        (br $success)))
    (local.set $y (i64.div_u (i64.add (local.get $u) (i64.mul (local.get $t) (local.get $v))) (local.get $s)))
    (local.set $negative (call $bernoulli (i64.const 1) (i64.const 2)))
    (br_if $attempt (i32.and (local.get $negative) (i64.eqz (local.get $y)))))
  (select (i64.sub (i64.const 0) (local.get $y)) (local.get $y) (local.get $negative)))

;; Draw the seven noise samples of one cell into $noise: statistic i has scale t_i / s_i.
(func $draw_noise
  (local $i i32) (local $w i64) (local $delta i64)
  (local.set $w
    (i64.add (i64.add (i64.add (call $weight (i32.const 0)) (call $weight (i32.const 1)))
                      (i64.add (call $weight (i32.const 2)) (call $weight (i32.const 3))))
             (i64.add (i64.add (call $weight (i32.const 4)) (call $weight (i32.const 5)))
                      (call $weight (i32.const 6)))))
  (loop $statistic
    (local.set $delta (i64.const 1))
    (if (i32.and (i32.ne (local.get $i) (i32.const 0)) (i32.eqz (i32.and (local.get $i) (i32.const 1))))
      (then (local.set $delta
              (i64.sub (call $high (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
                       (call $center (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))))))
    (i64.store (i32.add (global.get $noise) (i32.shl (local.get $i) (i32.const 3)))
      (call $discrete_laplace
        (i64.mul (i64.mul (local.get $delta) (i64.extend_i32_u (call $max_conditions)))
                 (i64.mul (local.get $w) (call $eps_den)))
        (i64.mul (call $eps_num) (call $weight (local.get $i)))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $statistic (i32.lt_u (local.get $i) (i32.const 7)))))

(func $noise_of (param $i i32) (result i64)
  (i64.load (i32.add (global.get $noise) (i32.shl (local.get $i) (i32.const 3)))))

;; --- release ----------------------------------------------------------------------------------

;; floor(a / b) for b > 0.
(func $floor_div (param $a i64) (param $b i64) (result i64)
  (i64.sub (i64.div_s (local.get $a) (local.get $b))
           (i64.extend_i32_u (i32.and (i64.ne (i64.rem_s (local.get $a) (local.get $b)) (i64.const 0))
                                      (i64.lt_s (local.get $a) (i64.const 0))))))

;; Sum of the first $n of the four u16 at $at.
(func $largest (param $at i32) (param $n i32) (result i64)
  (local $sum i64)
  (loop $next
    (local.set $sum (i64.add (local.get $sum) (i64.load16_u (local.get $at))))
    (local.set $at (i32.add (local.get $at) (i32.const 2)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br_if $next (local.get $n)))
  (local.get $sum))

;; Emit measure $m of the cell at $entry, or null; return 1 if it was withheld.
(func $emit_measure (param $entry i32) (param $m i32) (result i32)
  (local $field i32) (local $n i64) (local $noisy_n i64) (local $sum i64) (local $center i64) (local $total i64)
  (local $floor i64) (local $ceiling i64) (local $factor i64) (local $q i64)
  (local.set $field (i32.add (i32.add (local.get $entry) (i32.const 16)) (i32.mul (local.get $m) (i32.const 24))))
  (local.set $n (i64.load (local.get $field)))
  (local.set $noisy_n
    (i64.add (local.get $n) (call $noise_of (i32.add (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)))))
  (local.set $center (call $center (local.get $m)))
  ;; the total of the contributions x - lo is S + n (c - lo)
  (local.set $total (i64.add (i64.load offset=8 (local.get $field))
                             (i64.mul (local.get $n) (i64.sub (local.get $center) (call $low (local.get $m))))))
  (if (i32.or (i32.or (i64.lt_u (local.get $n) (call $min_count))
                      (i64.lt_s (local.get $noisy_n) (call $min_count)))
              (i64.gt_u (i64.mul (i64.const 100)
                                 (call $largest (i32.add (local.get $field) (i32.const 16)) (call $dominance_n)))
                        (i64.mul (call $dominance_pct) (local.get $total))))
    (then (call $emit_str (i32.const 416))
          (return (i32.const 1))))
  ;; S~ clamped to [(lo - c) n~, (hi - c) n~]
  (local.set $sum (i64.add (i64.load offset=8 (local.get $field))
                           (call $noise_of (i32.add (i32.shl (local.get $m) (i32.const 1)) (i32.const 2)))))
  (local.set $floor (i64.mul (i64.sub (call $low (local.get $m)) (local.get $center)) (local.get $noisy_n)))
  (local.set $ceiling (i64.mul (i64.sub (call $high (local.get $m)) (local.get $center)) (local.get $noisy_n)))
  (if (i64.lt_s (local.get $sum) (local.get $floor)) (then (local.set $sum (local.get $floor))))
  (if (i64.gt_s (local.get $sum) (local.get $ceiling)) (then (local.set $sum (local.get $ceiling))))
  ;; f: 10 for HbA1c (m = 1), 100 for the pressures
  (local.set $factor (select (i64.const 10) (i64.const 100) (i32.eq (local.get $m) (i32.const 1))))
  ;; S~ = q n~ + r with 0 <= r < n~, so X = f (c + q) + floor((2 f r + n~) / (2 n~)), no product near 2^63
  (local.set $q (call $floor_div (local.get $sum) (local.get $noisy_n)))
  (local.set $sum (i64.sub (local.get $sum) (i64.mul (local.get $q) (local.get $noisy_n))))
  (call $emit_str (i32.const 352))
  (call $emit_u64
    (i64.add (i64.mul (local.get $factor) (i64.add (local.get $center) (local.get $q)))
             (i64.div_u (i64.add (i64.mul (i64.mul (i64.const 2) (local.get $factor)) (local.get $sum))
                                 (local.get $noisy_n))
                        (i64.mul (i64.const 2) (local.get $noisy_n)))))
  (call $emit_str (i32.const 384))
  (call $emit_u64 (local.get $noisy_n))
  (call $emit_byte (i32.const 125))
  (i32.const 0))

;; Emit the cell at $entry with noisy count $count; return how many of its measures were withheld.
(func $emit_cell (param $entry i32) (param $count i64) (result i32)
  (local $key i64) (local $condition i64) (local $withheld i32)
  (local.set $key (i64.load (local.get $entry)))
  (call $emit_str (i32.const 96))
  (call $emit_u64 (i64.and (i64.shr_u (local.get $key) (i64.const 48)) (i64.const 0xff)))
  (call $emit_str (i32.const 128))
  (call $emit_u64 (i64.shr_u (local.get $key) (i64.const 56)))
  (call $emit_str (i32.const 160))
  (local.set $condition (i64.and (i64.shr_u (local.get $key) (i64.const 16)) (i64.const 0xffffff)))
  (if (i64.eqz (local.get $condition))
    (then (call $emit_str (i32.const 640)))
    (else
      (call $emit_byte (i32.wrap_i64 (i64.shr_u (local.get $condition) (i64.const 16))))
      (call $emit_byte (i32.wrap_i64 (i64.and (i64.shr_u (local.get $condition) (i64.const 8)) (i64.const 0xff))))
      (call $emit_byte (i32.wrap_i64 (i64.and (local.get $condition) (i64.const 0xff))))))
  (call $emit_str (i32.const 192))
  (call $emit_u64 (local.get $count))
  (call $emit_str (i32.const 224))
  (local.set $withheld (call $emit_measure (local.get $entry) (i32.const 0)))
  (call $emit_str (i32.const 256))
  (local.set $withheld (i32.add (local.get $withheld) (call $emit_measure (local.get $entry) (i32.const 1))))
  (call $emit_str (i32.const 288))
  ;; the sex names are 32 bytes apart from 672
  (call $emit_str (i32.add (i32.const 672)
                           (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $key) (i64.const 40))
                                                           (i64.const 0xff)))
                                    (i32.const 5))))
  (call $emit_str (i32.const 320))
  (local.set $withheld (i32.add (local.get $withheld) (call $emit_measure (local.get $entry) (i32.const 2))))
  (call $emit_byte (i32.const 125))
  (local.get $withheld))

(func (export "run") (param $p i32) (param $len i32) (result i64)
  (local $end i32) (local $rec i32) (local $left i32) (local $entry i32) (local $table_end i32)
  (local $count i64) (local $first i32) (local $suppressed_cells i64) (local $suppressed_measures i64)
  (global.set $in (local.get $p))
  (call $check_header (local.get $len))
  (global.set $rng (call $reserve (i32.const 128)))
  (global.set $noise (call $reserve (i32.const 56)))
  (call $rng_init)
  (global.set $table (global.get $heap))
  (local.set $end (i32.add (local.get $p) (local.get $len)))
  (local.set $rec (i32.add (local.get $p) (global.get $header_size)))
  (local.set $left (i32.load offset=72 (local.get $p)))
  (block $read
    (loop $records
      (br_if $read (i32.eqz (local.get $left)))
      (local.set $rec (call $record (local.get $rec) (local.get $end)))
      (local.set $left (i32.sub (local.get $left) (i32.const 1)))
      (br $records)))
  (if (i32.ne (local.get $rec) (local.get $end)) (then unreachable))
  (call $out_open)
  (call $emit_str (i32.const 64))
  (local.set $first (i32.const 1))
  (local.set $entry (global.get $table))
  (local.set $table_end (i32.add (global.get $table) (i32.mul (global.get $cells) (global.get $cell_size))))
  (block $released
    (loop $cell
      (br_if $released (i32.ge_u (local.get $entry) (local.get $table_end)))
      (local.set $count (i64.load offset=8 (local.get $entry)))
      (if (i64.lt_u (local.get $count) (call $min_count))
        (then (local.set $suppressed_cells (i64.add (local.get $suppressed_cells) (i64.const 1))))
        (else
          (call $draw_noise)
          (local.set $count (i64.add (local.get $count) (call $noise_of (i32.const 0))))
          (if (i64.lt_s (local.get $count) (call $min_count))
            (then (local.set $suppressed_cells (i64.add (local.get $suppressed_cells) (i64.const 1))))
            (else
              (if (i32.eqz (local.get $first)) (then (call $emit_byte (i32.const 44))))
              (local.set $first (i32.const 0))
              (local.set $suppressed_measures
                (i64.add (local.get $suppressed_measures)
                         (i64.extend_i32_u (call $emit_cell (local.get $entry) (local.get $count)))))))))
      (local.set $entry (i32.add (local.get $entry) (global.get $cell_size)))
      (br $cell)))
  (call $emit_str (i32.const 448))
  (call $emit_u64 (call $eps_den))
  (call $emit_str (i32.const 480))
  (call $emit_u64 (call $eps_num))
  (call $emit_str (i32.const 512))
  (call $emit_u64 (call $min_count))
  (call $emit_str (i32.const 544))
  (call $emit_str (i32.const 576))
  (call $emit_u64 (local.get $suppressed_cells))
  (call $emit_str (i32.const 608))
  (call $emit_u64 (local.get $suppressed_measures))
  (call $emit_byte (i32.const 125))
  (if (i32.gt_u (i32.sub (global.get $heap) (global.get $out_start)) (global.get $output_cap)) (then unreachable))
  (call $out_close))
