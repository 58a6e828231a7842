(* hashmap_string: twin of hashmap_string.pole-ir: 10^6 mixed operations on a
   (string, int) Hashtbl.t, keys built afresh as "key" ^ string_of_int k. *)

let count = 1_000_000

let lcg s = (s * 1103515245 + 12345) mod 2147483648

let rec ops m i n s hits sum =
  if i = n then (hits, sum)
  else
    let s2 = lcg s in
    let k = "key" ^ string_of_int (s2 / 1024 mod 131072) in
    match i mod 4 with
    | 0 ->
        Hashtbl.replace m k i;
        ops m (i + 1) n s2 hits sum
    | 1 ->
        let old = match Hashtbl.find_opt m k with Some v -> v | None -> 0 in
        Hashtbl.replace m k (old + 1);
        ops m (i + 1) n s2 hits (sum + old)
    | 2 -> ops m (i + 1) n s2 (if Hashtbl.mem m k then hits + 1 else hits) sum
    | _ ->
        if Hashtbl.mem m k then ops m (i + 1) n s2 (hits + 1) (sum + Hashtbl.find m k)
        else ops m (i + 1) n s2 hits sum

let () =
  let m : (string, int) Hashtbl.t = Hashtbl.create 16 in
  let hits, sum = ops m 0 count 7 0 0 in
  Printf.printf "hashmap_string ops=%d hits=%d sum=%d size=%d\n" count hits sum (Hashtbl.length m)
