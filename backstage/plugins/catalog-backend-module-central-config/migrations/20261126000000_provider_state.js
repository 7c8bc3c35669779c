// @ts-check

/**
 * The generation each central-config provider last applied, kept in the
 * catalog's database so it survives restarts and goes away with the
 * entities it describes.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('central_config_provider_state', table => {
    table.comment('The generation each central-config entity provider applied');
    table
      .string('provider_name', 255)
      .primary()
      .notNullable()
      .comment('The provider name, central-config-provider:<consumer>');
    table
      .text('base_url')
      .notNullable()
      .comment('The engine the generation belongs to');
    table
      .bigInteger('generation')
      .notNullable()
      .comment('The last generation applied to the catalog');
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now())
      .comment('When it was applied');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('central_config_provider_state');
};
