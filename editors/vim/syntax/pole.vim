" Vim syntax file
" Language: Pole IR (*.pole-ir)
" Covers: comments, strings and their escapes, annotations (@extern, @test,
" @test_case, ...), declarations (func, type, const, import), keywords,
" type parameters <T>, lambdas \x -> e, tuples, bit operators
" (&&& ||| ^^^ ~~~ <<< >>>), decimal, hexadecimal, binary and float
" literals, builtins (plain and dotted: String.length), types and
" constructors.

if exists('b:current_syntax')
  finish
endif

syn case match

" Annotations.
syn match   poleAnnotation "@[A-Za-z_][A-Za-z0-9_]*"

" Declarations: the keyword and the name it declares.
syn keyword poleDecl func type const extern import nextgroup=poleDeclName skipwhite
syn match   poleDeclName contained "[A-Za-z_][A-Za-z0-9_]*"

" Keywords.
syn keyword poleKeyword let in if then else match with
syn keyword poleContract requires ensures
syn keyword poleResult result
syn keyword poleWordOp not and or
syn keyword poleBoolean true false

" Numbers: integers, hexadecimal, binary, then floats (at the same
" position the last defined wins).
syn match   poleNumber "\<[0-9]\+\>"
syn match   poleNumber "\<0x[0-9A-Fa-f]\+\>"
syn match   poleNumber "\<0b[01]\+\>"
syn match   poleFloat  "\<[0-9]\+\.[0-9]\+\([eE][+-]\=[0-9]\+\)\=\>"

" Types and constructors (capitalised names), then builtin types, then
" builtins (dotted, String.length, or plain): at the same position the
" last defined wins.
syn match   poleConstructor "\<[A-Z][A-Za-z0-9_]*\>"
syn match   poleType "\<\(Int\|Nat\|Int32\|Float64\|Float\|Bool\|Unit\|String\|List\|HashMap\|Option\|Result\|Ptr\)\>"
syn match   poleBuiltin "\<\(String\|List\|HashMap\|Option\|Int\|Float\|Ptr\)\.[A-Za-z_][A-Za-z0-9_]*"
syn match   poleBuiltin "\<\(String\|List\|HashMap\|Option\|Int\|Float\|Ptr\)_[A-Za-z0-9_]\+\>"
syn keyword poleBuiltin print println eprint eprintln int_to_string int_to_float float_to_int
syn keyword poleBuiltin float_to_string list_push list_new list_get args read_line read_file
syn keyword poleBuiltin write_file random_seed random_bits random_int random_float time_ms sleep_ms

" Punctuation, then operators; bit operators last (longest first).
syn match   poleDelimiter "[,:.()\[\]{}]"
syn match   poleOperator "[<>=]"
syn match   poleOperator "->\|=>\|::\|==\|!=\|<=\|>=\|&&\|||\|[-+*/%!|;]"
syn match   poleBitOperator "&&&\||||\|\^\^\^\|\~\~\~\|<<<\|>>>"

" Type parameters and arguments: <T>, <K, V>, <Int>.
syn match   poleTypeParams "<\s*[A-Z][A-Za-z0-9_]*\(\s*,\s*[A-Z][A-Za-z0-9_]*\)*\s*>" contains=poleConstructor,poleType

" Lambdas: the backslash and its parameters (\x -> e, \(x: Int) -> e).
syn match   poleLambda "\\\s*\(([^)]*)\|[a-z_][A-Za-z0-9_]*\(\s\+[a-z_][A-Za-z0-9_]*\)*\)\ze\s*->"

" Comments and strings, last: they win over the operators (`/`) at
" the same position.
syn keyword poleTodo contained TODO FIXME XXX NOTE
syn match   poleComment "//.*$" contains=poleTodo,@Spell
syn match   poleEscape contained "\\[nt0\\\"]"
syn match   poleEscapeBad contained "\\[^nt0\\\"]"
syn region  poleString start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=poleEscape,poleEscapeBad,@Spell

" Tuples, (a, b), are parentheses with commas: highlighted as delimiters.

hi def link poleTodo        Todo
hi def link poleComment     Comment
hi def link poleString      String
hi def link poleEscape      SpecialChar
hi def link poleEscapeBad   Error
hi def link poleAnnotation  PreProc
hi def link poleDecl        Keyword
hi def link poleDeclName    Function
hi def link poleKeyword     Keyword
hi def link poleContract    Statement
hi def link poleResult      Special
hi def link poleWordOp      Operator
hi def link poleBoolean     Boolean
hi def link poleNumber      Number
hi def link poleFloat       Float
hi def link poleBuiltin     Function
hi def link poleType        Type
hi def link poleConstructor Constant
hi def link poleTypeParams  Type
hi def link poleLambda      Special
hi def link poleOperator    Operator
hi def link poleBitOperator Operator
hi def link poleDelimiter   Delimiter

let b:current_syntax = 'pole'
