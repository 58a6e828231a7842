(* avl_map: twin of avl_map.pole-ir (and avl_map_int.pole-ir): OCaml's
   persistent Map.Make(Int) (an AVL tree, the balancing the Pole programs
   copy), 10^6 adds of keys from an LCG, then 10^6 find_opt of keys from
   another LCG stream. *)

module M = Map.Make (Int)

let count = 1_000_000

let lcg s = (s * 1103515245 + 12345) mod 2147483648

let key s = s / 1024 mod 1048576

let rec insert_all t i n s =
  if i = n then t
  else
    let s2 = lcg s in
    insert_all (M.add (key s2) i t) (i + 1) n s2

let rec lookup_all t i n s hits sum =
  if i = n then (hits, sum)
  else
    let s2 = lcg s in
    match M.find_opt (key s2) t with
    | Some v -> lookup_all t (i + 1) n s2 (hits + 1) ((sum + v) mod 1000000007)
    | None -> lookup_all t (i + 1) n s2 hits sum

let () =
  let n = count in
  let t = insert_all M.empty 0 n 42 in
  let hits, sum = lookup_all t 0 n 4242 0 0 in
  Printf.printf "avl_map n=%d size=%d hits=%d sum=%d\n" n (M.cardinal t) hits sum
