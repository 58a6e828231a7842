/**
 * A tree-sitter grammar for Pole IR (.pole-ir), after the EBNF of the
 * language reference (§3.1) and its precedence table (§3.2).
 *
 * It accepts what the compiler accepts, and a little more where being
 * exact would cost a grammar of two expression languages: a call takes
 * any number of argument groups (`f (a, b) c` is refused by the compiler),
 * and an `in` closes the nearest `let` (the compiler also lets it sequence
 * two expressions inside a `let`'s value). Highlighting needs the shape,
 * not the diagnostics: those come from `pole lsp`.
 */

// Binding strength, weakest first (§3.2).
const PREC = {
  in_seq: 0,
  seq: 1,
  implies: 2,
  or: 3,
  and: 4,
  compare: 5,
  bit_or: 6,
  bit_xor: 7,
  bit_and: 8,
  shift: 9,
  add: 10,
  mul: 11,
  unary: 12,
  call: 13,
  field: 14,
  let: 15,
};

/** `rule`, then `, rule` any number of times. */
function sep1(rule, separator) {
  return seq(rule, repeat(seq(separator, rule)));
}

/** Comma-separated, at least one. */
function commas1(rule) {
  return sep1(rule, ',');
}

/** Comma-separated, possibly none. */
function commas(rule) {
  return optional(commas1(rule));
}

module.exports = grammar({
  name: 'pole',

  extras: $ => [/\s/, $.comment],

  word: $ => $.identifier,

  conflicts: $ => [
    // `(T)` is a type in parentheses until a `->` makes it a function
    // type's parameter list.
    [$._type, $.function_type],
    [$.tuple_type, $.function_type],
    [$.match_expression],
    [$.in_sequence, $.match_arm],
    [$.in_sequence, $.if_expression],
    [$.in_sequence, $.let_expression],
    [$.in_sequence, $.lambda],
  ],

  rules: {
    source_file: $ => repeat($._item),

    _item: $ => choice(
      $.annotation,
      $.function_declaration,
      $.type_declaration,
      $.extern_declaration,
      $.import_declaration,
      $.const_declaration,
    ),

    comment: _ => token(seq('//', /[^\n]*/)),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    // `List.push` is one token, the name `List_push` (§2).
    dotted_name: _ => token(prec(1, seq(
      choice('String', 'List', 'HashMap', 'Option', 'Int', 'Float', 'Ptr'),
      token.immediate('.'),
      /[A-Za-z_][A-Za-z0-9_]*/,
    ))),

    // Declarations

    import_declaration: $ => seq('import', field('path', $.string)),

    const_declaration: $ => seq(
      'const',
      field('name', $.identifier),
      ':',
      field('type', $._type),
      '=',
      field('value', $._expression),
    ),

    annotation: $ => seq(
      '@',
      field('name', choice($.identifier, alias('extern', $.identifier))),
      optional(seq('(', commas($.annotation_argument), ')')),
    ),

    annotation_argument: $ => seq(
      optional(seq(field('name', $.identifier), '=')),
      field('value', $._expression),
    ),

    function_declaration: $ => seq(
      'func',
      field('name', $.identifier),
      optional(field('type_parameters', $.type_parameters)),
      field('parameters', $.parameters),
      '->',
      field('return_type', $._type),
      repeat($.contract),
      optional(seq(':', field('body', $._expression))),
    ),

    type_parameters: $ => seq('<', commas1($.type_parameter), '>'),

    type_parameter: $ => $.identifier,

    parameters: $ => seq('(', commas($.parameter), ')'),

    parameter: $ => seq(field('name', $._parameter_name), ':', field('type', $._type)),

    // A parameter may be named like a keyword, as in a C prototype (§3.1).
    _parameter_name: $ => choice(
      $.identifier,
      alias(choice(
        'func', 'type', 'extern', 'import', 'const', 'let', 'in', 'if', 'then', 'else',
        'match', 'with', 'true', 'false', 'not', 'and', 'or', 'requires', 'ensures',
      ), $.identifier),
    ),

    contract: $ => seq(
      field('kind', choice('requires', 'ensures')),
      field('condition', $._expression),
    ),

    type_declaration: $ => seq(
      'type',
      field('name', $.identifier),
      optional(field('type_parameters', $.type_parameters)),
      '=',
      field('definition', choice($.record_definition, $.variant_definition)),
    ),

    record_definition: $ => seq('{', commas1($.field_declaration), optional(','), '}'),

    field_declaration: $ => seq(field('name', $.identifier), ':', field('type', $._type)),

    variant_definition: $ => seq(optional('|'), sep1($.constructor_declaration, '|')),

    constructor_declaration: $ => seq(
      field('name', $.identifier),
      optional(seq('(', commas1($._type), ')')),
    ),

    extern_declaration: $ => seq(
      'extern',
      field('name', $.identifier),
      ':',
      '(',
      optional(choice(
        $.variadic,
        seq(commas1($._type), optional(seq(',', $.variadic))),
      )),
      ')',
      '->',
      field('return_type', $._type),
      optional(';'),
    ),

    variadic: _ => '...',

    // Types

    _type: $ => choice(
      $.type_name,
      $.function_type,
      $.tuple_type,
      seq('(', $._type, ')'),
    ),

    type_name: $ => seq(
      field('name', $.identifier),
      optional(field('arguments', $.type_arguments)),
    ),

    type_arguments: $ => seq('<', commas1($._type), '>'),

    function_type: $ => prec.right(seq(
      '(',
      commas($._type),
      ')',
      '->',
      field('result', $._type),
    )),

    tuple_type: $ => seq('(', $._type, repeat1(seq(',', $._type)), ')'),

    // Expressions

    _expression: $ => choice(
      $.sequence,
      $.in_sequence,
      $._operand,
    ),

    // `a; b` (§3.5).
    sequence: $ => prec.right(PREC.seq, seq(
      field('first', $._expression),
      ';',
      field('then', $._expression),
    )),

    // `a in b` where no `let` is waiting for its `in` (§3.5): a parse that
    // took the `in` of a `let` whose value is being read finds no `in` for
    // that `let` and is dropped (the conflicts below explore both).
    in_sequence: $ => prec.right(PREC.in_seq, seq(
      field('first', $._expression),
      'in',
      field('then', $._expression),
    )),

    _operand: $ => choice(
      $.binary_expression,
      $.unary_expression,
      $.let_expression,
      $.if_expression,
      $.match_expression,
      $.lambda,
      $.call,
      $._postfix,
    ),

    binary_expression: $ => {
      const table = [
        [prec.right, PREC.implies, '=>'],
        [prec.left, PREC.or, choice('||', 'or')],
        [prec.left, PREC.and, choice('&&', 'and')],
        [prec.left, PREC.compare, choice('==', '!=', '<', '<=', '>', '>=')],
        [prec.left, PREC.bit_or, '|||'],
        [prec.left, PREC.bit_xor, '^^^'],
        [prec.left, PREC.bit_and, '&&&'],
        [prec.left, PREC.shift, choice('<<<', '>>>')],
        [prec.left, PREC.add, choice('+', '-')],
        [prec.left, PREC.mul, choice('*', '/', '%')],
      ];
      return choice(...table.map(([assoc, level, op]) => assoc(level, seq(
        field('left', $._operand),
        field('operator', op),
        field('right', $._operand),
      ))));
    },

    unary_expression: $ => prec(PREC.unary, seq(
      field('operator', choice('-', '!', 'not', '~~~')),
      field('operand', $._operand),
    )),

    // The body extends as far right as it can; an `in` closes the nearest
    // `let` whose value is being read.
    let_expression: $ => prec(PREC.in_seq, seq(
      'let',
      field('pattern', $._let_pattern),
      optional(seq(':', field('type', $._type))),
      '=',
      field('value', $._expression),
      'in',
      field('body', $._expression),
    )),

    _let_pattern: $ => choice($.identifier, $.wildcard, $.tuple_let_pattern),

    tuple_let_pattern: $ => seq(
      '(',
      $._let_pattern,
      repeat1(seq(',', $._let_pattern)),
      ')',
    ),

    if_expression: $ => prec(PREC.in_seq, seq(
      'if',
      field('condition', $._expression),
      'then',
      field('consequence', $._expression),
      'else',
      field('alternative', $._expression),
    )),

    match_expression: $ => prec(PREC.in_seq, seq(
      'match',
      field('subject', $._expression),
      'with',
      optional('|'),
      sep1($.match_arm, '|'),
    )),

    match_arm: $ => prec(PREC.in_seq, seq(
      field('pattern', $._pattern),
      '->',
      field('body', $._expression),
    )),

    lambda: $ => prec(PREC.in_seq, seq(
      '\\',
      field('parameters', choice(
        seq('(', commas($.lambda_parameter), ')'),
        repeat1($.lambda_parameter),
      )),
      '->',
      field('body', $._expression),
    )),

    lambda_parameter: $ => seq(
      field('name', choice($.identifier, $.wildcard)),
      optional(seq(':', field('type', $._type))),
    ),

    // `f(a, b)`, `f a b`, `f (x) (y + 1)`: a name, then argument groups
    // (§3.4).
    call: $ => prec.right(PREC.call, seq(
      field('function', $._name),
      field('arguments', repeat1($._postfix)),
    )),

    _name: $ => choice($.identifier, $.dotted_name),

    _postfix: $ => choice($.field_expression, $._atom),

    field_expression: $ => prec.left(PREC.field, seq(
      field('value', $._postfix),
      '.',
      field('field', alias($.identifier, $.field_identifier)),
    )),

    _atom: $ => choice(
      $.integer,
      $.float,
      $.string,
      $.boolean,
      $.unit,
      $._name,
      $.parenthesized_expression,
      $.tuple,
      $.list,
      $.record,
      $.record_update,
    ),

    integer: _ => token(choice(/0x[0-9A-Fa-f]+/, /0b[01]+/, /[0-9]+/)),

    float: _ => token(choice(
      /[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?/,
      /[0-9]+[eE][+-]?[0-9]+/,
    )),

    string: $ => seq(
      '"',
      repeat(choice($.string_content, $.escape_sequence)),
      token.immediate('"'),
    ),

    string_content: _ => token.immediate(prec(1, /[^"\\\n]+/)),

    escape_sequence: _ => token.immediate(/\\[nt\\"0]/),

    boolean: _ => choice('true', 'false'),

    unit: _ => seq('(', ')'),

    wildcard: _ => '_',

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    tuple: $ => seq('(', $._expression, repeat1(seq(',', $._expression)), ')'),

    list: $ => seq('[', optional(seq(commas1($._expression), optional(','))), ']'),

    record: $ => seq('{', commas1($.field_initializer), optional(','), '}'),

    field_initializer: $ => seq(
      field('name', alias($.identifier, $.field_identifier)),
      choice(':', '='),
      field('value', $._expression),
    ),

    // `{ base with f = v }`: the base is a name, a call or a field access.
    record_update: $ => seq(
      '{',
      field('base', choice($.call, $._postfix)),
      'with',
      commas1($.field_initializer),
      optional(','),
      '}',
    ),

    // Patterns

    _pattern: $ => choice($.cons_pattern, $._pattern_atom),

    cons_pattern: $ => prec.right(seq(
      field('head', $._pattern_atom),
      '::',
      field('tail', $._pattern),
    )),

    _pattern_atom: $ => choice(
      $.wildcard,
      $.identifier,
      $.integer_pattern,
      $.string,
      $.boolean,
      $.unit,
      seq('(', $._pattern, ')'),
      $.tuple_pattern,
      $.constructor_pattern,
      $.list_pattern,
      $.record_pattern,
    ),

    integer_pattern: $ => seq(optional('-'), $.integer),

    tuple_pattern: $ => seq('(', $._pattern, repeat1(seq(',', $._pattern)), ')'),

    constructor_pattern: $ => seq(
      field('constructor', $.identifier),
      '(',
      commas1($._pattern),
      ')',
    ),

    list_pattern: $ => seq('[', commas($._pattern), ']'),

    record_pattern: $ => seq(
      '{',
      commas1($.field_pattern),
      optional(','),
      '}',
    ),

    field_pattern: $ => seq(
      field('name', alias($.identifier, $.field_identifier)),
      choice(':', '='),
      field('pattern', $._pattern),
    ),
  },
});
